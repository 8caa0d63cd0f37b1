//! The engine's side of `apphost check`: compile a script the way a call will (same language,
//! same parse-time limits, every module it imports), list its functions, and warn about what
//! compiles but will not do what it seems to:
//!
//! - code at the top level of an endpoint's script, other than `import`: it never runs (an
//!   endpoint calls one of the script's functions), and a function could not read a top-level
//!   `let` anyway. A module's top level does run (when it is imported), so modules are not
//!   warned about.
//! - a script function with the name and arity of a built-in called as a method (`fn push(x)`
//!   against `array.push(x)`): rhai tries script functions first, so every `a.push(v)` in the
//!   script would call it with `this = a`. The built-ins are read from a real engine (the
//!   standard library and the host API), not from a list kept here.

use std::collections::HashSet;
use std::sync::OnceLock;

use rhai::{AST, ASTFlags, Position, Stmt};

use super::modules::{self, LoadError};
use crate::manifest::diagnostic::locate;
use crate::manifest::{Limits, ScriptCheck, ScriptProblem, ScriptReport};
use crate::source::Source;

/// Modules larger than this are not compiled by `check` (as for scripts).
const MAX_MODULE_BYTES: u64 = 4 << 20;

/// The engine's side of checking a manifest.
pub struct Checker;

impl ScriptCheck for Checker {
    fn check(&self, source: &dyn Source, file: &str, text: &str, limits: &Limits) -> ScriptReport {
        check(source, file, text, limits)
    }
}

/// Compiles the script `file` of `source` (its `text`) with the sandbox of `limits`, and every
/// module it imports; lists the functions it defines and what it warns about.
pub fn check(source: &dyn Source, file: &str, text: &str, limits: &Limits) -> ScriptReport {
    let engine = super::sandbox::parser(limits);
    let ast = match engine.compile(text) {
        Ok(ast) => ast,
        Err(e) => {
            return ScriptReport {
                error: Some(at(e.err_type().to_string(), e.position(), None)),
                ..ScriptReport::default()
            };
        }
    };
    let loaded = modules::load(&engine, source, MAX_MODULE_BYTES, file, text, &ast);
    let mut warnings: Vec<ScriptProblem> = top_level(&ast).into_iter().collect();
    warnings.extend(hidden_builtins(&ast, text, None));
    for m in loaded.modules.values() {
        let module = Some((m.file.clone(), m.text.clone()));
        warnings.extend(hidden_builtins(&m.ast, &m.text, module));
    }
    let error = loaded.error.map(|e| {
        let module = (e.file() != file).then(|| e.file().to_owned());
        match e {
            LoadError::Parse { text, error, .. } => at(
                error.err_type().to_string(),
                error.position(),
                module.map(|f| (f, text)),
            ),
            LoadError::Import {
                text, pos, message, ..
            } => at(message, pos, module.map(|f| (f, text))),
        }
    });
    ScriptReport {
        functions: ast
            .iter_functions()
            .map(|f| (f.name.to_owned(), f.params.len()))
            .collect(),
        error,
        warnings,
    }
}

fn at(message: String, pos: Position, module: Option<(String, String)>) -> ScriptProblem {
    ScriptProblem {
        message,
        line: pos.line().unwrap_or(1),
        column: pos.position().unwrap_or(1),
        module,
        help: None,
    }
}

/// The first top-level statement of an endpoint's script that never runs (anything but an
/// `import`), saying how many more there are.
fn top_level(ast: &AST) -> Option<ScriptProblem> {
    let idle: Vec<&Stmt> = ast
        .statements()
        .iter()
        .filter(|s| !matches!(s, Stmt::Import(..) | Stmt::Noop(..)))
        .collect();
    let first = idle.first()?;
    let more = match idle.len() - 1 {
        0 => String::new(),
        1 => " (nor does the 1 other top-level statement)".to_owned(),
        n => format!(" (nor do the {n} other top-level statements)"),
    };
    let why =
        "an endpoint calls one of the script's functions, and the script's top level does not run";
    let problem = match first {
        Stmt::Var(x, flags, pos) => {
            let kind = if flags.contains(ASTFlags::CONSTANT) {
                "const"
            } else {
                "let"
            };
            let name = x.0.name.as_str();
            let mut p = at(
                format!("`{kind} {name}` at the top level is never set: {why}{more}"),
                *pos,
                None,
            );
            p.help = Some(format!(
                "a function cannot read it either: return the value from a function (`fn {}() {{ … }}`), or `export const {name} = …;` in a module under scripts/ and `import` it (a module's top level runs when it is imported)",
                name.to_lowercase()
            ));
            p
        }
        other => {
            let mut p = at(
                format!("top-level code never runs: {why}{more}"),
                other.position(),
                None,
            );
            p.help = Some(
                "move it into a function; only `fn`s and `import`s belong at the top level of an endpoint's script"
                    .to_owned(),
            );
            p
        }
    };
    Some(problem)
}

/// Every (name, parameter count) of the functions the script engine has built in: the
/// standard library and the host API, read once from a real engine.
fn builtins() -> &'static HashSet<(String, usize)> {
    static BUILTINS: OnceLock<HashSet<(String, usize)>> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        let engine = super::build_engine(&Limits::default());
        engine
            .collect_fn_metadata(
                None,
                |f| {
                    f.script
                        .is_none()
                        .then(|| (f.metadata.name.to_string(), f.metadata.num_params))
                },
                true,
            )
            .into_iter()
            .collect()
    })
}

/// The functions of `ast` (whose text is `text`, in `module` or the checked script) that a
/// method call of a built-in would reach instead: `fn push(x)` takes `a.push(v)`, since rhai
/// looks for a script function of that name with one parameter (plus `this`) first.
fn hidden_builtins(ast: &AST, text: &str, module: Option<(String, String)>) -> Vec<ScriptProblem> {
    let mut found = Vec::new();
    for f in ast.iter_fn_def() {
        // `fn Type.name()` is a method of that type on purpose.
        if f.this_type.is_some() {
            continue;
        }
        let (name, n) = (f.name.as_str(), f.params.len());
        if !builtins().contains(&(name.to_owned(), n + 1)) {
            continue;
        }
        let params: Vec<&str> = f.params.iter().map(|p| p.as_str()).collect();
        let args = if n == 0 { "" } else { "…" };
        let body = f.body.start_position();
        let mut p = at(
            format!(
                "`fn {name}({})` hides the built-in `{name}` called as a method: every `x.{name}({args})` in this script calls this function instead (with `this` = x)",
                params.join(", ")
            ),
            body,
            module.clone(),
        );
        if let Some((line, column)) = definition(text, name, body) {
            (p.line, p.column) = (line, column);
        }
        p.help = Some(
            "rename the function (an endpoint's `fn` key can name any function): script functions come before built-ins of the same name and number of arguments"
                .to_owned(),
        );
        found.push(p);
    }
    found
}

/// The line and column of `fn name` in `text`, given where its body starts (rhai keeps no
/// position for the definition itself).
fn definition(text: &str, name: &str, body: Position) -> Option<(usize, usize)> {
    let (line, col) = (body.line()?, body.position()?);
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = text.get(line_start..)?;
    let offset = line_start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
    let before = text.get(..offset)?;
    let (i, _) = before
        .rmatch_indices(name)
        .find(|(i, _)| before[..*i].trim_end().ends_with("fn"))?;
    let (line, col, _) = locate(text, i);
    Some((line, col))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Folder;

    #[test]
    fn builtins_come_from_the_engine_with_the_host_api() {
        let b = builtins();
        assert!(b.contains(&("push".to_owned(), 2)), "the standard library");
        assert!(b.contains(&("fs_read_text".to_owned(), 1)), "the host API");
        assert!(!b.contains(&("search".to_owned(), 2)));
    }

    #[test]
    fn warnings_point_at_what_they_are_about() {
        let nowhere = Folder::lenient(std::path::Path::new("/nonexistent"));
        let check = |text: &str| check(&nowhere, "scripts/x.rhai", text, &Limits::default());
        let r = check("fn len() { 0 }\nfn search(args) { 1 }\n");
        assert_eq!(r.error, None);
        let w: Vec<(usize, usize)> = r.warnings.iter().map(|w| (w.line, w.column)).collect();
        assert_eq!(w, [(1, 4)], "{:?}", r.warnings);
        assert!(
            r.warnings[0].message.contains("`x.len()`"),
            "{:?}",
            r.warnings
        );
        let r = check("\nlet a = 1;\nconst B = 2;\nfn f() { 0 }\n");
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        let w = &r.warnings[0];
        assert_eq!((w.line, w.column), (2, 1));
        assert!(
            w.message.starts_with("`let a` at the top level"),
            "{}",
            w.message
        );
        assert!(
            w.message.contains("the 1 other top-level statement"),
            "{}",
            w.message
        );
        let r = check("fn f() { 0 }\n");
        assert_eq!(r.warnings, []);
    }
}
