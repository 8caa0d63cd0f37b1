//! Script endpoints' scripts: they must compile in the sandbox with every module they import
//! (errors point into the script or the module, with its line and column; an import that cannot
//! be followed, at the `import`), define the endpoint's function with at most one parameter, and
//! `on_event(name, data)` when the endpoint listens to events (`on`). What the engine warns
//! about in a script (code that never runs, functions that hide built-ins) is reported once per
//! file, however many endpoints share it.

use super::super::model::{EndpointSection, Manifest};
use super::super::path::KeyPath;
use super::super::resolve::Limits;
use super::super::suggest::closest;
use super::super::{EVENT_FN, ScriptProblem};
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
    let file = normal(rel).unwrap_or_default();
    let report = cx.scripts.check(cx.source, &file, &text, &limits);
    let rel = rel.trim_start_matches("./");
    // A script (or module) several endpoints share is warned about once.
    let mut warned = Vec::new();
    for w in report.warnings {
        let in_file = w
            .module
            .as_ref()
            .map_or(rel, |(f, _)| f.as_str())
            .to_owned();
        if cx.warned_scripts.contains(&in_file) {
            continue;
        }
        if !warned.contains(&in_file) {
            warned.push(in_file);
        }
        cx.push(problem(
            Diagnostic::warning(w.message.clone()),
            rel,
            &text,
            w,
        ));
    }
    cx.warned_scripts.extend(warned);
    if let Some(e) = report.error {
        let message = format!(
            "script of endpoint `{name}` does not compile: {}",
            e.message
        );
        cx.push(problem(Diagnostic::error(message), rel, &text, e));
        return;
    }
    let functions = report.functions;
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

/// `d` pointed at `p`, in the script `rel` (whose text is `text`) or in the module `p` names.
fn problem(d: Diagnostic, rel: &str, text: &str, p: ScriptProblem) -> Diagnostic {
    let (file, text) = p
        .module
        .unwrap_or_else(|| (rel.to_owned(), text.to_owned()));
    let d = d.in_file(&file, text, p.line, p.column);
    match p.help {
        Some(help) => d.help(help),
        None => d,
    }
}
