//! A packaged executable's own app: found at start-up, checked, and locked down; and
//! `apphost package --verify FILE`, which checks a package eagerly.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use super::{embed, format};
use crate::manifest::{App, Checked, NAMES};
use crate::source::{Packaged, Source};

/// A packaged app, ready to run.
pub struct Opened {
    pub source: Arc<Packaged>,
    pub checked: Checked,
}

/// This executable's own app, when it is a packaged one (`Ok(None)`: a plain apphost). The
/// payload's header and index are checked here, its files when first read.
pub fn own_app() -> anyhow::Result<Option<Opened>> {
    let Some(bytes) = embed::own_payload()? else {
        return Ok(None);
    };
    let payload = format::Payload::open(bytes).context("this app's payload is damaged")?;
    Ok(Some(open(payload)))
}

/// Checks the manifest inside `payload` as `apphost check` would.
fn open(payload: format::Payload<'static>) -> Opened {
    let source = Arc::new(Packaged::new(payload));
    let name = NAMES
        .into_iter()
        .find(|m| source.payload().get(m).is_some())
        .unwrap_or(NAMES[0]);
    let checked = crate::check_in(Arc::clone(&source) as Arc<dyn Source>, name);
    Opened { source, checked }
}

/// What a packaged app never does, whatever its manifest says: `[dev]` settings are for
/// `apphost dev` on the app's folder.
pub fn lock_down(app: &mut App) {
    app.dev_url = None;
    app.dev_command = None;
    app.dev_poll = false;
}

/// Reads the executable `file`, checks its payload's header, index and every file's hash, and
/// checks its manifest. The payload lives as long as the process (a CLI run that ends after).
pub fn verify(file: &Path) -> anyhow::Result<Opened> {
    let exe = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let exe: &'static [u8] = Box::leak(exe.into_boxed_slice());
    let bytes = embed::find_in_file(exe)
        .with_context(|| format!("{}", file.display()))?
        .with_context(|| format!("{} is not a packaged apphost app", file.display()))?;
    let payload = format::Payload::open(bytes).context("the payload is damaged")?;
    payload
        .verify_all()
        .context("a file in the payload is damaged")?;
    Ok(open(payload))
}
