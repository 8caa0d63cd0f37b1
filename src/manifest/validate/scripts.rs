//! Script endpoints' scripts: they must compile in the sandbox (errors point into the script,
//! with its line and column), define the endpoint's function with at most one parameter, and
//! `on_event(name, data)` when the endpoint listens to events (`on`).

use super::super::EVENT_FN;
use super::super::model::{EndpointSection, Manifest};
use super::super::path::KeyPath;
use super::super::resolve::Limits;
use super::super::suggest::closest;
use super::menus::event_name;
use super::{Ctx, Diagnostic};
use crate::source::{ReadError, normal};

/// Scripts larger than this are not compiled by `check` (they are the app's own files; this
/// only keeps `check` quick on a mistake such as a data file named as a script).
const MAX_SCRIPT_BYTES: u64 = 4 << 20;

/// Checks the script of endpoint `name` (`p`), which exists.
pub(super) fn script(cx: &mut Ctx, m: &Manifest, p: &KeyPath, name: &str, e: &EndpointSection) {
    for (i, pattern) in e.on.iter().flatten().enumerate() {
        event_name(cx, p.key("on").index(i), pattern);
    }
    let Some(rel) = e.script.as_deref() else {
        return;
    };
    let text = match cx
        .source
        .read(&normal(rel).unwrap_or_default(), MAX_SCRIPT_BYTES)
    {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(ReadError::TooLarge { .. }) => {
            cx.error(
                p.key("script"),
                format!("script `{rel}` is larger than 4 MiB"),
            );
            return;
        }
        Err(e) => {
            cx.error(p.key("script"), format!("script `{rel}` {e}"));
            return;
        }
    };
    let mut limits = Limits::default();
    if let Some(l) = &m.scripts {
        limits = limits.apply(l);
    }
    if let Some(l) = &e.limits {
        limits = limits.apply(l);
    }
    let functions = match cx.scripts.functions(&text, &limits) {
        Ok(f) => f,
        Err(problem) => {
            let rel = rel.trim_start_matches("./");
            cx.push(
                Diagnostic::error(format!(
                    "script of endpoint `{name}` does not compile: {}",
                    problem.message
                ))
                .in_file(rel, text, problem.line, problem.column),
            );
            return;
        }
    };
    let function = e.function_or_default(name);
    let at = if e.function.is_some() {
        p.key("fn")
    } else {
        p.key("script")
    };
    match functions.iter().find(|(f, _)| f == function) {
        None => {
            let names = functions.iter().map(|(f, _)| f.as_str());
            let d = cx.error(at, format!("script `{rel}` has no function `{function}`"));
            d.hint(format!(
                "define `fn {function}(args) {{ … }}` in the script, or set `fn`"
            ));
            d.suggest(closest(function, names));
        }
        Some((_, n)) if *n > 1 => {
            cx.error(
                at,
                format!("`{function}` in `{rel}` takes {n} parameters; an endpoint function takes one (the arguments) or none"),
            );
        }
        Some(_) => {}
    }
    if e.on.as_ref().is_some_and(|on| !on.is_empty())
        && !functions.iter().any(|(f, n)| f == EVENT_FN && *n == 2)
    {
        cx.error(
            p.key("on"),
            format!("script `{rel}` has no function `{EVENT_FN}(name, data)` to receive events"),
        );
    }
}
