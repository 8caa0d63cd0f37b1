//! Files built into the host with `include_dir!`: the demo app and the `init` templates.

use std::io;
use std::sync::Arc;

use include_dir::{Dir, DirEntry};

use super::{Asset, Entry, Lookup, Source, fnv1a, join};

pub struct Builtin {
    dir: &'static Dir<'static>,
    /// include_dir names every entry by its path from the root of `dir`; this is the folder
    /// of it that is this source's root (`""` for the whole).
    base: String,
    /// How messages name it (`the built-in demo`).
    name: &'static str,
}

impl Builtin {
    pub fn new(dir: &'static Dir<'static>, base: &str, name: &'static str) -> Builtin {
        Builtin {
            dir,
            base: base.to_owned(),
            name,
        }
    }

    fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || self.dir.get_dir(path).is_some()
    }
}

impl Source for Builtin {
    fn lookup(&self, rel: &str) -> Lookup {
        let path = join(&self.base, rel);
        if self.is_dir(&path) {
            return Lookup::Dir;
        }
        match self.dir.get_file(&path) {
            Some(f) => {
                let bytes = f.contents();
                let tag = format!("{:x}-{:016x}", bytes.len(), fnv1a(bytes));
                Lookup::File(Asset::borrowed(bytes, tag))
            }
            None => Lookup::Missing,
        }
    }

    fn list(&self, rel: &str) -> io::Result<Vec<Entry>> {
        let path = join(&self.base, rel);
        let entries = if path.is_empty() {
            self.dir.entries()
        } else {
            self.dir
                .get_dir(&path)
                .ok_or(io::ErrorKind::NotFound)?
                .entries()
        };
        let mut names: Vec<Entry> = entries
            .iter()
            .filter_map(|e| {
                let name = e.path().file_name()?.to_str()?.to_owned();
                Some(Entry {
                    name,
                    is_dir: matches!(e, DirEntry::Dir(_)),
                })
            })
            .collect();
        names.sort();
        Ok(names)
    }

    fn sub(&self, rel: &str) -> io::Result<Arc<dyn Source>> {
        let base = join(&self.base, rel);
        if !self.is_dir(&base) {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(Arc::new(Builtin {
            dir: self.dir,
            base,
            name: self.name,
        }))
    }

    fn describe(&self, rel: &str) -> String {
        match rel {
            "" => self.name.to_owned(),
            rel => format!("{rel} ({})", self.name),
        }
    }
}
