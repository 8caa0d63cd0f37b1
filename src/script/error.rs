//! Rhai's errors as the errors a page receives: a limit → `limit_exceeded` (or `timeout` for
//! wall time), a refusal by the host API → its own code, anything else → `handler_error` with
//! the script's file (relative to the app), line and column.

use rhai::{EvalAltResult, ParseError, ParseErrorType, Position};

use super::api::HostError;
use super::sandbox::{CANCELLED, MEMORY, TIMEOUT};
use crate::ipc::IpcError;
use crate::manifest::Limits;

/// `file:line:col` of a position in a script, or just the file.
pub fn at(file: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_owned(),
    }
}

/// A compile error of `file`: nesting and function-count limits are limits like the others.
pub fn compile(file: &str, e: &ParseError, limits: &Limits) -> IpcError {
    match e.err_type() {
        ParseErrorType::ExprTooDeep => IpcError::LimitExceeded(format!(
            "{}: expressions nested deeper than {} (max-expr-depth)",
            at(file, e.position()),
            limits.max_expr_depth
        )),
        ParseErrorType::TooManyFunctions => IpcError::LimitExceeded(format!(
            "{}: more than {} functions (max-functions)",
            at(file, e.position()),
            limits.max_functions
        )),
        ParseErrorType::LiteralTooLarge(what, max) => IpcError::LimitExceeded(format!(
            "{}: {what} longer than {max}",
            at(file, e.position())
        )),
        t => IpcError::Handler(format!("{}: {t}", at(file, e.position()))),
    }
}

/// A run-time error of a call to `file`.
pub fn runtime(file: &str, e: EvalAltResult, limits: &Limits) -> IpcError {
    // The innermost error is the one that happened; the wrappers only say which call it was in,
    // and in which file that function is (a module's, for a function a script imported).
    let mut e = e;
    let mut file = file.to_owned();
    while let EvalAltResult::ErrorInFunctionCall(_, source, inner, _) = e {
        if !source.is_empty() {
            file = source;
        }
        e = *inner;
    }
    let mut e = e;
    let pos = e.take_position();
    let here = at(&file, pos);
    let limit = |what: String| IpcError::LimitExceeded(format!("{here}: {what}"));
    match e {
        EvalAltResult::ErrorTerminated(token, _) => {
            if token
                .clone()
                .into_immutable_string()
                .is_ok_and(|t| t == TIMEOUT)
            {
                IpcError::Timeout(u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX))
            } else if token
                .clone()
                .into_immutable_string()
                .is_ok_and(|t| t == MEMORY)
            {
                limit(format!(
                    "the script used more than {} bytes of memory (max-memory)",
                    limits.max_memory
                ))
            } else if token.into_immutable_string().is_ok_and(|t| t == CANCELLED) {
                IpcError::Cancelled
            } else {
                limit("the script was stopped".into())
            }
        }
        EvalAltResult::ErrorTooManyOperations(_) => limit(format!(
            "more than {} operations (max-operations)",
            limits.max_operations
        )),
        EvalAltResult::ErrorStackOverflow(_) => limit(format!(
            "calls nested deeper than {} (max-call-depth)",
            limits.max_call_depth
        )),
        EvalAltResult::ErrorTooManyVariables(_) => limit(format!(
            "more than {} variables (max-variables)",
            limits.max_variables
        )),
        EvalAltResult::ErrorTooManyModules(_) => limit(format!(
            "more than {} imports in one call",
            super::modules::MAX_IMPORTS_PER_CALL
        )),
        // The sandbox's size checks name the one limit they hit (rhai's own are off).
        EvalAltResult::ErrorDataTooLarge(what, _) => limit(what),
        EvalAltResult::ErrorRuntime(v, _) if v.is::<HostError>() => v.cast::<HostError>().0,
        EvalAltResult::ErrorRuntime(v, _) => {
            IpcError::Handler(format!("{here}: the script threw {v}"))
        }
        EvalAltResult::ErrorParsing(t, _) => IpcError::Handler(format!("{here}: {t}")),
        other => IpcError::Handler(format!("{here}: {other}")),
    }
}
