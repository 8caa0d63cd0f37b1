//! What the dev error overlay says: a title, the diagnostics as `apphost check` prints them,
//! and a note on what happens next. `dev.js` builds the element from this.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overlay {
    pub title: String,
    pub text: String,
    pub note: String,
}

impl Overlay {
    /// A manifest that does not check.
    pub fn manifest(text: &str) -> Overlay {
        Overlay {
            title: "app manifest: the last change was not applied".into(),
            text: text.trim_end().to_owned(),
            note: "The app keeps running as it was before the change. This goes away once the \
                   manifest checks clean."
                .into(),
        }
    }

    /// The frontend folder is gone.
    pub fn frontend(text: &str) -> Overlay {
        Overlay {
            title: "frontend folder missing: pages are not reloaded".into(),
            text: text.trim_end().to_owned(),
            note: "The page keeps what it has loaded; what it loads next is not found. This \
                   goes away once the folder is back."
                .into(),
        }
    }

    /// Scripts that do not compile.
    pub fn script(text: &str) -> Overlay {
        Overlay {
            title: "script error: the last version that compiled stays in force".into(),
            text: text.trim_end().to_owned(),
            note: "Calls run the last version of the script that compiled. This goes away once \
                   the script compiles."
                .into(),
        }
    }

    /// Changes applied except for those that need a restart.
    pub fn restart(text: &str) -> Overlay {
        Overlay {
            title: "restart needed".into(),
            text: text.trim_end().to_owned(),
            note: "Everything else in the manifest was applied. Quit and run `apphost dev` again \
                   to apply this."
                .into(),
        }
    }

    /// The script that shows it in a page (`None` clears it).
    pub fn script_for(overlay: Option<&Overlay>) -> String {
        let json = serde_json::to_string(&overlay).unwrap_or_else(|_| "null".into());
        format!("window.__apphost_dev&&window.__apphost_dev.overlay({json});")
    }
}
