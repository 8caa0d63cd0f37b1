//! `apphost check DIR|FILE`: every diagnostic, or a summary of what the app declares.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::manifest::{App, Checked, Handler};

pub fn run(target: &Path) -> anyhow::Result<ExitCode> {
    Ok(if report(&crate::check(target), true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Prints every diagnostic and the error count, or (`with_summary`) the app's summary; true
/// when there are no errors.
pub(super) fn report(checked: &Checked, with_summary: bool) -> bool {
    if !checked.diagnostics.is_empty() {
        eprint!("{}", checked.render());
    }
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors;
    if errors > 0 {
        eprintln!(
            "\n{}: {errors} error{}{}",
            checked.file.display(),
            plural(errors),
            if warnings > 0 {
                format!(", {warnings} warning{}", plural(warnings))
            } else {
                String::new()
            }
        );
        return false;
    }
    if let Some(app) = checked.app.as_ref().filter(|_| with_summary) {
        print!(
            "{}",
            summary(&checked.file.display().to_string(), app, warnings)
        );
    }
    true
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A menu label as the menu bar shows it: muda's `&` marks the next letter as the mnemonic,
/// and `&&` stands for a literal `&`.
fn without_mnemonic(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars();
    while let Some(c) = chars.next() {
        if c != '&' {
            out.push(c);
        } else if let Some(next) = chars.next() {
            // `&&` → `&`; `&F` → `F`.
            out.push(next);
        }
    }
    out
}

/// What the app declares, in a few lines. Paths are relative to the app folder, so the
/// output is the same wherever the app lives.
pub fn summary(file: &str, app: &App, warnings: usize) -> String {
    let mut s = String::new();
    let version = app
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let _ = write!(s, "ok: {file}: {}{version} ({})", app.name, app.id);
    if warnings > 0 {
        let _ = write!(s, ", {warnings} warning{}", plural(warnings));
    }
    s.push('\n');
    let _ = writeln!(s, "  frontend   {}/", app.frontend);
    let windows: Vec<String> = app
        .windows
        .iter()
        .map(|w| format!("{} {}x{} {}", w.label, w.width, w.height, w.url))
        .collect();
    let _ = writeln!(s, "  windows    {}", windows.join(", "));
    if app.endpoints.is_empty() {
        let _ = writeln!(s, "  endpoints  none");
    }
    for (i, (name, e)) in app.endpoints.iter().enumerate() {
        let head = if i == 0 {
            "  endpoints  "
        } else {
            "             "
        };
        let what = match &e.handler {
            Handler::Builtin(b) => format!("builtin {b}"),
            Handler::Script { path, function } => format!("script {}::{function}", path),
        };
        let scope = if e.scope.is_empty() {
            String::new()
        } else {
            format!(" [{}]", e.scope.join(", "))
        };
        let _ = writeln!(s, "{head}{name} -> {what}{scope}");
    }
    if !app.menus.is_empty() {
        let menus: Vec<String> = app
            .menus
            .iter()
            .map(|m| {
                format!(
                    "{} ({})",
                    without_mnemonic(&m.label),
                    m.items.iter().map(|i| i.count()).sum::<usize>()
                )
            })
            .collect();
        let _ = writeln!(s, "  menus      {}", menus.join(", "));
    }
    if let Some(t) = &app.tray {
        let n = t.menu.len();
        let _ = writeln!(s, "  tray       {} ({n} item{})", t.icon, plural(n));
    }
    let _ = writeln!(s, "  csp        {}", app.security.csp_header());
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn mnemonic_markers_are_not_shown() {
        for (label, shown) in [
            ("&File", "File"),
            ("Save &As", "Save As"),
            ("Tom && Jerry", "Tom & Jerry"),
            ("&&&Edit", "&Edit"),
            ("Plain", "Plain"),
            ("Trailing&", "Trailing"),
        ] {
            assert_eq!(super::without_mnemonic(label), shown, "{label}");
        }
    }
}
