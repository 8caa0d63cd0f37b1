//! `notification.show`: a desktop notification through the freedesktop notification service
//! (`org.freedesktop.Notifications` on the D-Bus session bus), called from the worker thread.
//! Without a session bus or a notification daemon the call fails with `unavailable` and a
//! message that says which is missing.

use std::collections::HashMap;

use gio::glib::{ToVariant, Variant, VariantTy};
use serde_json::Value;

use super::host::string_arg;
use crate::ipc::IpcError;

/// How long to wait for the daemon to answer.
const TIMEOUT_MS: i32 = 5_000;

/// Shows `{title, body?}` and answers the notification's id.
pub fn show(app_name: &str, args: &Value) -> Result<Value, IpcError> {
    let title = string_arg(args, "title")?;
    let body = match args.get("body") {
        None | Some(Value::Null) => "",
        Some(Value::String(b)) => b,
        Some(_) => return Err(IpcError::BadArgs("`body` must be a string".into())),
    };
    let bus = gio::bus_get_sync(gio::BusType::Session, None::<&gio::Cancellable>).map_err(|e| {
        IpcError::Unavailable(format!(
            "no desktop notifications: there is no D-Bus session bus ({})",
            e.message()
        ))
    })?;
    let hints: HashMap<String, Variant> = HashMap::new();
    let params = (
        app_name,
        0u32,
        "",
        title,
        body,
        Vec::<String>::new(),
        hints,
        -1i32,
    )
        .to_variant();
    let reply = bus
        .call_sync(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications",
            "Notify",
            Some(&params),
            Some(VariantTy::new("(u)").map_err(|e| IpcError::Handler(e.to_string()))?),
            gio::DBusCallFlags::NONE,
            TIMEOUT_MS,
            None::<&gio::Cancellable>,
        )
        .map_err(|e| {
            IpcError::Unavailable(format!(
                "no desktop notifications: no notification daemon answered ({})",
                e.message()
            ))
        })?;
    let id = reply.child_value(0).get::<u32>().unwrap_or(0);
    Ok(Value::from(id))
}
