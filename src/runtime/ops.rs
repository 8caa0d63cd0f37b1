//! The window and app builtins, carried out on the UI thread.

use std::collections::HashMap;
use std::sync::mpsc;

use serde_json::Value;
use tao::event_loop::ControlFlow;
use tao::window::WindowId;

use super::window;
use crate::ipc::IpcError;

type Windows = HashMap<WindowId, window::Open>;

pub fn find<'a>(windows: &'a Windows, label: &str) -> Option<(WindowId, &'a window::Open)> {
    windows
        .iter()
        .find(|(_, w)| w.label == label)
        .map(|(id, w)| (*id, w))
}

/// `window.<op>` on an open window.
pub fn window_op(
    label: &str,
    op: &str,
    args: &Value,
    windows: &mut Windows,
    quit_on_last: bool,
    flow: &mut ControlFlow,
) -> Result<Value, IpcError> {
    let Some((id, w)) = find(windows, label) else {
        return Err(IpcError::BadArgs(format!("no open window `{label}`")));
    };
    let win = &w.window;
    match op {
        "show" => win.set_visible(true),
        "hide" => win.set_visible(false),
        "focus" => {
            win.set_visible(true);
            win.set_focus();
        }
        "minimize" => win.set_minimized(true),
        "maximize" => win.set_maximized(true),
        "unmaximize" => win.set_maximized(false),
        "set_title" => {
            let title = args
                .get("title")
                .and_then(Value::as_str)
                .ok_or_else(|| IpcError::BadArgs("expected { title: string }".into()))?;
            win.set_title(title);
        }
        "set_size" => {
            let dim = |k: &str| {
                args.get(k)
                    .and_then(Value::as_u64)
                    .filter(|v| (1..=100_000).contains(v))
                    .ok_or_else(|| {
                        IpcError::BadArgs("expected { width, height }: 1 to 100000".into())
                    })
            };
            let (width, height) = (dim("width")?, dim("height")?);
            win.set_inner_size(tao::dpi::LogicalSize::new(width as f64, height as f64));
        }
        "close" => close(windows, id, quit_on_last, flow),
        _ => return Err(IpcError::NotFound(format!("window.{op}"))),
    }
    Ok(Value::Null)
}

/// Forgets a closed window; the app quits with its last one unless the manifest says otherwise.
pub fn close(windows: &mut Windows, id: WindowId, quit_on_last: bool, flow: &mut ControlFlow) {
    if let Some(w) = windows.remove(&id) {
        tracing::debug!("window `{}` closed", w.label);
    }
    if windows.is_empty() && quit_on_last {
        *flow = ControlFlow::Exit;
    }
}

/// `clipboard.read_text` (`text` is `None`) and `clipboard.write_text`, on GTK's own clipboard
/// (the `CLIPBOARD` selection). Reading asks the selection's owner, which may be another
/// program: the answer comes later, through `answer`.
pub fn clipboard(text: Option<String>, answer: mpsc::Sender<Result<Value, IpcError>>) {
    let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
    match text {
        Some(text) => {
            clipboard.set_text(&text);
            // Keep it available after this app exits, where a clipboard manager runs.
            clipboard.store();
            let _ = answer.send(Ok(Value::Null));
        }
        None => clipboard.request_text(move |_, text| {
            let _ = answer.send(Ok(text.map_or(Value::Null, |t| Value::from(t.to_string()))));
        }),
    }
}
