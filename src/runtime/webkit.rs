//! WebKit's own powers, refused unless the window's manifest grants them (`[[window]]
//! permissions`): permission requests (location, notifications, clipboard reads, camera and
//! microphone, pointer lock, encrypted media, storage access), the settings that would let a
//! page skip those requests, downloads, file drops, the context menu and the inspector.
//!
//! Every decision reads the window's declaration in the generation in force at that moment
//! (windows keep their label across a dev reload), so a changed `permissions` applies to the
//! next request. Nothing here decides where a page may navigate: that is `navigation`'s job.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gtk::prelude::*;
use webkit2gtk::{
    ContextMenuAction, ContextMenuExt as _, ContextMenuItemExt as _, Download, DownloadExt as _,
    LoadEvent, PermissionRequest, PermissionRequestExt as _, SettingsExt as _, URIRequestExt as _,
    WebContextExt as _, WebView, WebViewExt,
};

use crate::generation::Core;
use crate::manifest::Permission;

/// Environment variables that make WebKit serve the inspector of every page on a TCP port.
pub const INSPECTOR_ENV: [&str; 2] = ["WEBKIT_INSPECTOR_SERVER", "WEBKIT_INSPECTOR_HTTP_SERVER"];

/// Keeps a file or link dropped on the page from making WebKit load it: a capture listener on
/// every frame's window, registered before the page's own scripts, so the page cannot take it
/// away. WebKit loads a dropped URL only when the page did not cancel the drop; the page's own
/// drop zones still get their events (cancelling does not stop propagation).
pub const DROP_GUARD: &str = r#"(() => {
  const carriesUrl = (e) => {
    const t = e.dataTransfer && e.dataTransfer.types;
    return !!t && Array.prototype.some.call(t, (x) => x === 'Files' || x === 'text/uri-list');
  };
  const cancel = (e) => { if (carriesUrl(e)) e.preventDefault(); };
  window.addEventListener('dragenter', cancel, true);
  window.addEventListener('dragover', cancel, true);
  window.addEventListener('drop', (e) => e.preventDefault(), true);
})();"#;

/// Where the label of a webview's window is kept on the view.
const LABEL: &str = "apphost-webkit-label";

/// How long after a drop a `file:` load counts as caused by it.
const DROP_WINDOW: Duration = Duration::from_secs(2);

/// What a window's page may do right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Grants {
    permissions: BTreeSet<Permission>,
    /// The inspector (and its context-menu entry): `devtools`, or `apphost dev`.
    inspector: bool,
}

impl Grants {
    fn has(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }
}

/// Reads the grants of window `label` from the generation in force.
#[derive(Clone)]
struct Window {
    label: String,
    core: Arc<Core>,
    dev: bool,
}

impl Window {
    fn grants(&self) -> Grants {
        let generation = self.core.current();
        // A window the new manifest no longer declares keeps nothing.
        let declared = generation
            .app
            .windows
            .iter()
            .find(|w| w.label == self.label);
        Grants {
            permissions: declared.map(|w| w.permissions.clone()).unwrap_or_default(),
            inspector: self.dev || declared.is_some_and(|w| w.devtools),
        }
    }
}

/// Puts the guards on the webview of window `label`. `dev`: `apphost dev` runs (the inspector
/// is on in every window then).
pub fn install(webview: &WebView, label: &str, core: Arc<Core>, dev: bool) {
    // SAFETY: LABEL is only ever set here, always to a String, and read back as one.
    unsafe { webview.set_data(LABEL, label.to_owned()) };
    let window = Window {
        label: label.to_owned(),
        core,
        dev,
    };
    apply_settings(webview, &window.grants());
    let dropped: Rc<Cell<Option<Instant>>> = Rc::default();
    {
        let window = window.clone();
        let dropped = Rc::clone(&dropped);
        webview.connect_load_changed(move |view, event| {
            if event != LoadEvent::Started {
                return;
            }
            // The settings follow a reload of the manifest from the next page on.
            apply_settings(view, &window.grants());
            let recent = dropped.get().is_some_and(|t| t.elapsed() < DROP_WINDOW);
            let uri = view.uri().map(|u| u.to_string()).unwrap_or_default();
            if recent && is_file_url(&uri) {
                tracing::warn!(
                    "window `{}`: refused to load {uri}, dropped on the window",
                    window.label
                );
                view.stop_loading();
            }
        });
    }
    // Runs before WebKit's own handler (the signal runs its class handler last): only notes
    // that a drop is under way, for the load check above; the drop itself goes on to the page.
    webview.connect_drag_drop(move |_, _, _, _, _| {
        dropped.set(Some(Instant::now()));
        false
    });
    {
        let window = window.clone();
        webview.connect_permission_request(move |_, request| {
            decide(&window, request);
            true
        });
    }
    {
        let window = window.clone();
        webview.connect_context_menu(move |_, menu, _, _| {
            let grants = window.grants();
            for item in menu.items() {
                if !keeps(item.stock_action(), &grants) {
                    menu.remove(&item);
                }
            }
            if tracing::enabled!(tracing::Level::DEBUG) {
                let left: Vec<String> = menu
                    .items()
                    .iter()
                    .filter(|i| !i.is_separator())
                    .map(|i| format!("{:?}", i.stock_action()))
                    .collect();
                tracing::debug!(
                    "window `{}`: context menu: [{}]",
                    window.label,
                    left.join(", ")
                );
            }
            false
        });
    }
    if let Some(context) = webview.context() {
        watch_downloads(&context, Arc::clone(&window.core), dev);
    }
}

/// Settings that would let a page reach what `permissions` guards without a request, set to
/// what the window is granted. WebKit's defaults are the refusals already (WebKitGTK 2.50);
/// they are set anyway, since wry or a later WebKit may change them.
fn apply_settings(webview: &WebView, grants: &Grants) {
    let Some(settings) = WebViewExt::settings(webview) else {
        return;
    };
    let media = grants.has(Permission::Media);
    settings.set_enable_media_stream(media);
    settings.set_enable_webrtc(media);
    settings.set_enable_mock_capture_devices(false);
    settings.set_enable_encrypted_media(grants.has(Permission::Eme));
    // Also lets `execCommand('paste')` read the clipboard without asking.
    settings.set_javascript_can_access_clipboard(grants.has(Permission::ClipboardRead));
    settings.set_enable_developer_extras(grants.inspector);
}

/// The permission a request needs; `None` for requests no grant allows.
fn needs(request: &PermissionRequest) -> Option<Permission> {
    use webkit2gtk::{
        DeviceInfoPermissionRequest, GeolocationPermissionRequest, MediaKeySystemPermissionRequest,
        NotificationPermissionRequest, PointerLockPermissionRequest, UserMediaPermissionRequest,
        WebsiteDataAccessPermissionRequest,
    };
    if request.is::<GeolocationPermissionRequest>() {
        Some(Permission::Geolocation)
    } else if request.is::<NotificationPermissionRequest>() {
        Some(Permission::Notifications)
    } else if request.is::<UserMediaPermissionRequest>()
        || request.is::<DeviceInfoPermissionRequest>()
    {
        Some(Permission::Media)
    } else if request.is::<PointerLockPermissionRequest>() {
        Some(Permission::PointerLock)
    } else if request.is::<MediaKeySystemPermissionRequest>() {
        Some(Permission::Eme)
    } else if request.is::<WebsiteDataAccessPermissionRequest>() {
        Some(Permission::StorageAccess)
    } else if request.type_().name() == "WebKitClipboardPermissionRequest" {
        // WebKitGTK 2.42; the bindings predate it.
        Some(Permission::ClipboardRead)
    } else {
        // Installing media plugins, and whatever a later WebKit asks: never.
        None
    }
}

/// Allows `request` if the window is granted what it needs, denies it otherwise. Denying
/// explicitly matters for pointer lock: WebKit allows an unanswered one.
fn decide(window: &Window, request: &PermissionRequest) {
    let kind = request.type_().name();
    match needs(request) {
        Some(p) if window.grants().has(p) => {
            tracing::info!(
                "window `{}`: {kind} allowed (`{}` is granted)",
                window.label,
                p.name()
            );
            request.allow();
        }
        Some(p) => {
            tracing::warn!(
                "window `{}`: {kind} denied (grant `{}` in the window's `permissions` to allow it)",
                window.label,
                p.name()
            );
            request.deny();
        }
        None => {
            tracing::warn!("window `{}`: {kind} denied", window.label);
            request.deny();
        }
    }
}

/// Whether a context-menu entry stays. New windows are never opened (the host denies them), so
/// their entries go always; downloads go unless granted; the inspector unless it is on.
fn keeps(action: ContextMenuAction, grants: &Grants) -> bool {
    use ContextMenuAction as A;
    match action {
        A::OpenLinkInNewWindow
        | A::OpenImageInNewWindow
        | A::OpenFrameInNewWindow
        | A::OpenVideoInNewWindow
        | A::OpenAudioInNewWindow => false,
        A::DownloadLinkToDisk
        | A::DownloadImageToDisk
        | A::DownloadVideoToDisk
        | A::DownloadAudioToDisk => grants.has(Permission::Downloads),
        A::InspectElement => grants.inspector,
        _ => true,
    }
}

fn is_file_url(uri: &str) -> bool {
    uri.get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
}

/// The window label a webview was installed with.
fn label_of(webview: &WebView) -> Option<String> {
    // SAFETY: see `install`: the value under LABEL is a String that lives with the view.
    unsafe { webview.data::<String>(LABEL) }.map(|p| unsafe { p.as_ref() }.clone())
}

thread_local! {
    /// Whether the shared web context's downloads are watched (every window shares one).
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

/// Connects the download guard to the shared web context, once.
fn watch_downloads(context: &webkit2gtk::WebContext, core: Arc<Core>, dev: bool) {
    if WATCHED.with(|w| w.replace(true)) {
        return;
    }
    context.connect_download_started(move |_, download| on_download(download, &core, dev));
}

/// Refuses a download unless its window is granted `downloads`; with the grant, asks where to
/// save it. WebKit's default (write to `~/Downloads` under the page's name) never happens.
fn on_download(download: &Download, core: &Arc<Core>, dev: bool) {
    let full = download
        .request()
        .and_then(|r| r.uri())
        .map(|u| u.to_string())
        .unwrap_or_default();
    let uri = short(&full);
    let view = download.web_view();
    let label = view.as_ref().and_then(label_of);
    let granted = label.as_ref().is_some_and(|label| {
        Window {
            label: label.clone(),
            core: Arc::clone(core),
            dev,
        }
        .grants()
        .has(Permission::Downloads)
    });
    let name = label.unwrap_or_else(|| "?".to_owned());
    if !granted {
        tracing::warn!(
            "window `{name}`: download of {uri} refused (grant `downloads` in the window's `permissions` to allow it)"
        );
        download.cancel();
        // Should WebKit still ask, no destination is ever given.
        download.connect_decide_destination(|d, _| {
            d.cancel();
            true
        });
        return;
    }
    // A download this host started again after the user chose where to save it.
    if let Some(path) = CHOSEN.with(|c| c.borrow_mut().take_if(|(u, _)| *u == full).map(|(_, p)| p))
    {
        tracing::info!("window `{name}`: saving {uri} to {}", path.display());
        download.set_destination(&path.to_string_lossy());
        // WebKit 2.50 may have picked its own place already: the file is moved once complete.
        download.connect_finished(move |d| {
            let Some(written) = d
                .destination()
                .map(|p| std::path::PathBuf::from(p.as_str()))
            else {
                return;
            };
            if written == path {
                return;
            }
            let moved = std::fs::rename(&written, &path).or_else(|_| {
                std::fs::copy(&written, &path).and_then(|_| std::fs::remove_file(&written))
            });
            match moved {
                Ok(()) => tracing::info!("download saved to {}", path.display()),
                Err(e) => tracing::warn!(
                    "download left in {}: could not move it to {}: {e}",
                    written.display(),
                    path.display()
                ),
            }
        });
        download.connect_failed(move |_, e| tracing::warn!("download of {uri} failed: {e}"));
        return;
    }
    // WebKit 2.50 has picked a destination of its own by the time it reports the download
    // (its `decide-destination` does not reach a handler connected here): this one is
    // cancelled, and the same URL is fetched again once the user has chosen where it goes.
    download.cancel();
    let Some(view) = view else {
        return;
    };
    tracing::info!("window `{name}`: download of {uri}: asking where to save it");
    let suggested = full
        .split(['?', '#'])
        .next()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    ask_destination(&view, &full, &suggested);
}

thread_local! {
    /// The URL the user has just chosen a destination for, and that destination.
    static CHOSEN: std::cell::RefCell<Option<(String, std::path::PathBuf)>> =
        const { std::cell::RefCell::new(None) };
}

/// Shows the save dialog for `uri` over `view`'s window; if the user picks a file, downloads
/// `uri` there, else nothing.
fn ask_destination(view: &WebView, uri: &str, suggested: &str) {
    let parent = view
        .toplevel()
        .and_then(|t| t.downcast::<gtk::Window>().ok());
    let dialog = gtk::FileChooserDialog::with_buttons(
        Some("Save download"),
        parent.as_ref(),
        gtk::FileChooserAction::Save,
        &[
            ("_Cancel", gtk::ResponseType::Cancel),
            ("_Save", gtk::ResponseType::Accept),
        ],
    );
    dialog.set_default_response(gtk::ResponseType::Accept);
    dialog.set_do_overwrite_confirmation(true);
    // Only the last path segment of what the page suggests, never a path of its choosing.
    let name = percent_encoding::percent_decode_str(suggested).decode_utf8_lossy();
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default();
    if !name.is_empty() && name != "." && name != ".." && !name.starts_with("data:") {
        dialog.set_current_name(name);
    }
    let view = view.clone();
    let uri = uri.to_owned();
    dialog.connect_response(move |d, response| {
        let chosen = (response == gtk::ResponseType::Accept)
            .then(|| d.filename())
            .flatten();
        match chosen {
            Some(path) => {
                CHOSEN.with(|c| *c.borrow_mut() = Some((uri.clone(), path.clone())));
                let _ = view.download_uri(&uri);
            }
            None => tracing::info!("download cancelled in the save dialog"),
        }
        // SAFETY: the dialog is ours and nothing else holds it once it has answered.
        unsafe { d.destroy() };
    });
    dialog.show();
}

/// A URL for the log: `data:` URLs can be long.
fn short(uri: &str) -> String {
    match uri.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &uri[..i]),
        None => uri.to_owned(),
    }
}

/// The inspector server variables are honoured only where the inspector is on: in `apphost
/// dev`, with `devtools` in some window, or under WebDriver (WebKitWebDriver reaches the host
/// through that very server). Otherwise they are taken out of the environment before WebKit
/// starts (it reads them once, when the first web context is made), and before any thread
/// runs: changing the environment is safe only then, so a host that already runs threads starts
/// itself again without them (`exec`: same process, same arguments).
pub fn drop_inspector_env(allowed: bool) {
    let set: Vec<&str> = INSPECTOR_ENV
        .into_iter()
        .filter(|k| std::env::var_os(k).is_some())
        .collect();
    if allowed || set.is_empty() {
        return;
    }
    tracing::warn!(
        "{} ignored: the inspector is off (turn on `devtools` in a window, or use `apphost dev`)",
        set.join(" and ")
    );
    if threads() == Some(1) {
        for k in &set {
            // SAFETY: this process runs one thread (checked just above), so nothing reads the
            // environment while it changes.
            unsafe { std::env::remove_var(k) };
        }
        return;
    }
    use std::os::unix::process::CommandExt as _;
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg0(argv0).args(args);
    for k in &set {
        cmd.env_remove(k);
    }
    let err = cmd.exec();
    // Without a clean environment, WebKit would open the inspector to anyone on that port.
    tracing::error!("could not restart without {}: {err}", set.join(" and "));
    std::process::exit(1);
}

/// How many threads this process runs, from `/proc/self/status`.
fn threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(permissions: &[Permission], inspector: bool) -> Grants {
        Grants {
            permissions: permissions.iter().copied().collect(),
            inspector,
        }
    }

    #[test]
    fn context_menu_entries() {
        use ContextMenuAction as A;
        let none = grants(&[], false);
        for gone in [
            A::OpenLinkInNewWindow,
            A::OpenImageInNewWindow,
            A::OpenFrameInNewWindow,
            A::OpenVideoInNewWindow,
            A::OpenAudioInNewWindow,
            A::DownloadLinkToDisk,
            A::DownloadImageToDisk,
            A::DownloadVideoToDisk,
            A::DownloadAudioToDisk,
            A::InspectElement,
        ] {
            assert!(!keeps(gone, &none), "{gone:?}");
        }
        for kept in [
            A::Copy,
            A::Paste,
            A::SelectAll,
            A::CopyLinkToClipboard,
            A::Reload,
        ] {
            assert!(keeps(kept, &none), "{kept:?}");
        }
        let all = grants(&Permission::ALL, true);
        assert!(keeps(A::DownloadLinkToDisk, &all));
        assert!(keeps(A::InspectElement, &all));
        assert!(!keeps(A::OpenLinkInNewWindow, &all));
    }

    #[test]
    fn file_urls() {
        assert!(is_file_url("file:///etc/passwd"));
        assert!(is_file_url("FILE:///x"));
        assert!(!is_file_url("app://localhost/"));
        assert!(!is_file_url("fil"));
    }

    #[test]
    fn thread_count_is_read() {
        assert!(threads().is_some_and(|n| n >= 1));
    }
}
