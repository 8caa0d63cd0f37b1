//! Key paths such as `window[0].min-width`, the way diagnostics name a place in the manifest.

use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KeyPath(Vec<Seg>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn segs(&self) -> &[Seg] {
        &self.0
    }

    /// The enclosing path; `None` for the root.
    pub fn parent(&self) -> Option<KeyPath> {
        let mut p = self.clone();
        p.0.pop().map(|_| p)
    }

    pub fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_owned()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

/// Builds a path from segments: `path!["window", 0, "label"]`.
#[macro_export]
macro_rules! key_path {
    ($($seg:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut p = $crate::manifest::KeyPath::root();
        $( p = $crate::manifest::path::IntoSeg::push_onto($seg, p); )*
        p
    }};
}

pub trait IntoSeg {
    fn push_onto(self, p: KeyPath) -> KeyPath;
}

impl IntoSeg for &str {
    fn push_onto(self, p: KeyPath) -> KeyPath {
        p.key(self)
    }
}

impl IntoSeg for &String {
    fn push_onto(self, p: KeyPath) -> KeyPath {
        p.key(self)
    }
}

impl IntoSeg for usize {
    fn push_onto(self, p: KeyPath) -> KeyPath {
        p.index(self)
    }
}

fn is_bare(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if is_bare(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write!(f, "{k:?}")?;
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn displays_like_toml_keys() {
        let p = crate::key_path!["endpoints", "notes.save", "scope", 2];
        assert_eq!(p.to_string(), "endpoints.\"notes.save\".scope[2]");
        assert_eq!(
            crate::key_path!["window", 0, "min-width"].to_string(),
            "window[0].min-width"
        );
    }
}
