//! `dialog.*` as native GTK dialogs, modal to the calling window. None of them blocks the UI
//! thread (no nested `gtk_dialog_run`): the dialog is shown, and its `response` signal sends
//! the answer to the worker that waits for it. A path picked in `open`/`save` is recorded for
//! the `$USER_SELECTED` scope.

use std::cell::Cell;
use std::path::Path;
use std::sync::mpsc::Sender;

use gtk::prelude::*;
use gtk::{
    ButtonsType, DialogFlags, FileChooserAction, FileChooserDialog, FileFilter, MessageDialog,
    MessageType, ResponseType,
};
use serde_json::Value;

use crate::ipc::IpcError;

type Answer = Sender<Result<Value, IpcError>>;

/// Shows dialog `op` (`open`, `save`, `message`, `confirm`) over `parent`; the answer goes to
/// `answer` once the user has chosen.
pub fn show(op: &str, args: &Value, parent: &gtk::ApplicationWindow, answer: Answer) {
    let text = |k: &str| args.get(k).and_then(Value::as_str);
    let flag = |k: &str| args.get(k).and_then(Value::as_bool).unwrap_or(false);
    match op {
        "open" | "save" => {
            let save = op == "save";
            let action = match (save, flag("directory")) {
                (true, _) => FileChooserAction::Save,
                (false, true) => FileChooserAction::SelectFolder,
                (false, false) => FileChooserAction::Open,
            };
            let title = text("title").unwrap_or(if save { "Save" } else { "Open" });
            let accept = if save { "_Save" } else { "_Open" };
            let d = FileChooserDialog::with_buttons(
                Some(title),
                Some(parent),
                action,
                &[
                    ("_Cancel", ResponseType::Cancel),
                    (accept, ResponseType::Accept),
                ],
            );
            d.set_default_response(ResponseType::Accept);
            d.set_select_multiple(!save && flag("multiple"));
            d.set_do_overwrite_confirmation(save);
            if let Some(filters) = args.get("filters").and_then(Value::as_array) {
                for f in filters {
                    d.add_filter(filter(f));
                }
            }
            if let Some(path) = text("default_path") {
                start_at(&d, Path::new(path), save);
            }
            let multiple = !save && flag("multiple");
            let folder = !save && flag("directory");
            on_response(&d, answer, move |d, response| {
                if response != ResponseType::Accept {
                    return Value::Null;
                }
                // Each pick is granted to `$USER_SELECTED` as it is now (canonical), and the
                // page gets that same path back, so what it then names is what was granted.
                let picked = crate::builtins::paths::user_selected();
                let mut names = d.filenames().into_iter().map(|p| {
                    let real = picked.add(&p, folder).unwrap_or(p);
                    Value::from(real.to_string_lossy().into_owned())
                });
                if multiple {
                    Value::from(names.collect::<Vec<_>>())
                } else {
                    names.next().unwrap_or(Value::Null)
                }
            });
        }
        "message" | "confirm" => {
            let confirm = op == "confirm";
            let Some(message) = text("message") else {
                let _ = answer.send(Err(IpcError::BadArgs(
                    "expected { message: string, title? }".into(),
                )));
                return;
            };
            let kind = match text("kind") {
                Some("warning") => MessageType::Warning,
                Some("error") => MessageType::Error,
                _ if confirm => MessageType::Question,
                _ => MessageType::Info,
            };
            let buttons = if confirm {
                ButtonsType::YesNo
            } else {
                ButtonsType::Ok
            };
            let d = MessageDialog::new(
                Some(parent),
                DialogFlags::MODAL | DialogFlags::DESTROY_WITH_PARENT,
                kind,
                buttons,
                message,
            );
            if let Some(title) = text("title") {
                d.set_title(title);
            }
            d.set_default_response(if confirm {
                ResponseType::Yes
            } else {
                ResponseType::Ok
            });
            on_response(&d, answer, move |_, response| {
                if confirm {
                    Value::Bool(response == ResponseType::Yes)
                } else {
                    Value::Null
                }
            });
        }
        _ => {
            let _ = answer.send(Err(IpcError::NotFound(format!("dialog.{op}"))));
        }
    }
}

/// Shows `d`; when the user answers, sends what `value` makes of the response (once) and closes
/// it.
fn on_response<D: IsA<gtk::Dialog> + IsA<gtk::Window> + IsA<gtk::Widget>>(
    d: &D,
    answer: Answer,
    value: impl Fn(&D, ResponseType) -> Value + 'static,
) {
    let answer = Cell::new(Some(answer));
    d.connect_response(move |d, response| {
        if let Some(a) = answer.take() {
            let _ = a.send(Ok(value(d, response)));
        }
        d.close();
    });
    d.show_all();
}

/// `{name, extensions: ["md", "txt"]}` as a GTK filter.
fn filter(spec: &Value) -> FileFilter {
    let f = FileFilter::new();
    if let Some(name) = spec.get("name").and_then(Value::as_str) {
        f.set_name(Some(name));
    }
    for ext in spec
        .get("extensions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        f.add_pattern(&format!("*.{}", ext.trim_start_matches('.')));
    }
    f
}

/// Opens the dialog in `path`'s folder; a save dialog also proposes its file name.
fn start_at(d: &FileChooserDialog, path: &Path, save: bool) {
    if path.is_dir() {
        d.set_current_folder(path);
        return;
    }
    if let Some(folder) = path.parent().filter(|p| p.is_dir()) {
        d.set_current_folder(folder);
    }
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        if save {
            d.set_current_name(name);
        } else {
            d.set_filename(path);
        }
    }
}
