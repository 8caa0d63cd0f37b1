//! The payload of a packaged executable, read in place: a stored file is lent straight from
//! the mapped executable, a compressed one is decompressed once and shared. Each file's hash
//! is checked the first time it is read; a file that fails is refused (the protocol answers
//! with an error page and logs why) and never served. The payload's own files (its zstd
//! dictionary, under `.apphost/`) are not the app's: they are never found here.

use std::io;
use std::sync::{Arc, OnceLock};

use super::{Asset, Entry, Lookup, Source, join};
use crate::pack::format::{Payload, is_reserved};

/// A file of the payload, once read and checked.
#[derive(Clone)]
enum Checked {
    Lent(&'static [u8]),
    Made(Arc<[u8]>),
}

struct Inner {
    payload: Payload<'static>,
    /// One slot per entry of the index, filled on first read.
    files: Vec<OnceLock<Result<Checked, String>>>,
}

/// A packaged app's files, or a folder of them.
pub struct Packaged {
    inner: Arc<Inner>,
    base: String,
}

impl Packaged {
    pub fn new(payload: Payload<'static>) -> Packaged {
        let files = payload.entries().iter().map(|_| OnceLock::new()).collect();
        Packaged {
            inner: Arc::new(Inner { payload, files }),
            base: String::new(),
        }
    }

    /// The payload the files come from.
    pub fn payload(&self) -> &Payload<'static> {
        &self.inner.payload
    }
}

impl Inner {
    fn index(&self, path: &str) -> Option<usize> {
        self.payload
            .entries()
            .binary_search_by(|e| (*e.path).cmp(path))
            .ok()
    }

    fn checked(&self, i: usize) -> Result<Checked, String> {
        let Some(slot) = self.files.get(i) else {
            return Err("is not in the payload".to_owned());
        };
        slot.get_or_init(|| {
            let entry = &self.payload.entries()[i];
            match self.payload.read(entry) {
                Ok(std::borrow::Cow::Borrowed(b)) => Ok(Checked::Lent(b)),
                Ok(std::borrow::Cow::Owned(v)) => Ok(Checked::Made(Arc::from(v))),
                Err(e) => Err(format!("fails its integrity check: {e}")),
            }
        })
        .clone()
    }
}

impl Source for Packaged {
    fn lookup(&self, rel: &str) -> Lookup {
        let path = join(&self.base, rel);
        if is_reserved(&path) {
            return Lookup::Missing;
        }
        let inner = &self.inner;
        let Some(i) = inner.index(&path) else {
            return if inner.payload.is_dir(&path) {
                Lookup::Dir
            } else {
                Lookup::Missing
            };
        };
        let entry = &inner.payload.entries()[i];
        let tag = tag(entry);
        match inner.checked(i) {
            Ok(Checked::Lent(bytes)) => Lookup::File(Asset::borrowed(bytes, tag)),
            Ok(Checked::Made(bytes)) => Lookup::File(Asset::shared(bytes, tag)),
            Err(why) => Lookup::Broken(why),
        }
    }

    fn list(&self, rel: &str) -> io::Result<Vec<Entry>> {
        let path = join(&self.base, rel);
        if !self.inner.payload.is_dir(&path) {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(self
            .inner
            .payload
            .list(&path)
            .into_iter()
            .filter(|(name, _)| !is_reserved(&join(&path, name)))
            .map(|(name, is_dir)| Entry { name, is_dir })
            .collect())
    }

    fn sub(&self, rel: &str) -> io::Result<Arc<dyn Source>> {
        let base = join(&self.base, rel);
        if is_reserved(&base) || !self.inner.payload.is_dir(&base) {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(Arc::new(Packaged {
            inner: Arc::clone(&self.inner),
            base,
        }))
    }

    fn describe(&self, rel: &str) -> String {
        match join(&self.base, rel).as_str() {
            "" => "the packaged app".to_owned(),
            path => format!("{path} (in the packaged app)"),
        }
    }

    /// The content hash: it never changes while the app runs.
    fn stamp(&self, rel: &str) -> Option<String> {
        let path = join(&self.base, rel);
        if is_reserved(&path) {
            return None;
        }
        let inner = &self.inner;
        let i = inner.index(&path)?;
        Some(tag(&inner.payload.entries()[i]))
    }
}

/// The content hash as the ETag: it changes exactly when the content does.
fn tag(entry: &crate::pack::format::Entry<'_>) -> String {
    entry.hash[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::pack::format;

    /// A payload that lives as long as the test process, as a mapped executable's does, with a
    /// byte of file `damaged`'s blob flipped.
    fn packaged_with(files: &[(&str, &[u8])], damaged: Option<&str>) -> Packaged {
        let files = files
            .iter()
            .map(|(p, b)| ((*p).to_owned(), b.to_vec()))
            .collect();
        let mut bytes = format::write(files, 3, "test").unwrap();
        if let Some(path) = damaged {
            let at = format::Payload::open(&bytes)
                .unwrap()
                .get(path)
                .unwrap()
                .offset;
            bytes[usize::try_from(at).unwrap()] ^= 1;
        }
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        Packaged::new(format::Payload::open(bytes).unwrap())
    }

    fn packaged(files: &[(&str, &[u8])]) -> Packaged {
        packaged_with(files, None)
    }

    #[test]
    fn files_folders_and_sub_sources() {
        let css = "body { color: red }\n".repeat(50);
        let p = packaged(&[
            ("app.toml", b"[app]"),
            ("web/index.html", b"<p>hi</p>"),
            ("web/css/site.css", css.as_bytes()),
        ]);
        match p.lookup("web/index.html") {
            Lookup::File(a) => {
                assert_eq!(a.len, 9);
                // Stored (tiny): lent from the payload, no copy.
                assert!(matches!(a.read(0..9).unwrap(), Cow::Borrowed(b"<p>hi</p>")));
            }
            _ => panic!("web/index.html"),
        }
        match p.lookup("web/css/site.css") {
            Lookup::File(a) => assert_eq!(a.read_all(1 << 20).unwrap(), css.as_bytes()),
            _ => panic!("site.css"),
        }
        assert!(matches!(p.lookup("web"), Lookup::Dir));
        assert!(matches!(p.lookup(""), Lookup::Dir));
        assert!(matches!(p.lookup("web/nope"), Lookup::Missing));
        let names: Vec<String> = p.list("web").unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["css", "index.html"]);
        let web = p.sub("web").unwrap();
        assert!(matches!(web.lookup("index.html"), Lookup::File(_)));
        assert!(matches!(web.lookup("app.toml"), Lookup::Missing));
        assert_eq!(
            web.describe("index.html"),
            "web/index.html (in the packaged app)"
        );
        assert!(p.sub("nope").is_err());
        assert_eq!(p.stamp("app.toml"), p.stamp("app.toml"));
        assert_ne!(p.stamp("app.toml"), p.stamp("web/index.html"));
    }

    #[test]
    fn a_damaged_file_is_refused_and_the_rest_served() {
        let p = packaged_with(
            &[("a.txt", b"first file"), ("b.txt", b"second file")],
            Some("b.txt"),
        );
        match p.lookup("b.txt") {
            Lookup::Broken(why) => assert!(why.starts_with("fails its integrity check"), "{why}"),
            _ => panic!("a damaged file was served"),
        }
        // Refused every time, not only the first.
        assert!(matches!(p.lookup("b.txt"), Lookup::Broken(_)));
        assert!(matches!(p.lookup("a.txt"), Lookup::File(_)));
    }
}
