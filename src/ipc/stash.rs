//! Replies too large or too binary for a posted call's answer script: kept here under a one-time
//! 128-bit token that only the calling window may fetch (`GET /__apphost/reply/<token>` with the
//! launch key), once, within a minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Encoded;

const TTL: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Stash {
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    window: String,
    at: Instant,
    reply: Encoded,
}

impl Stash {
    /// Keeps `reply` for `window` and returns its token. Expired entries are swept here.
    pub fn put(&self, window: &str, reply: Encoded) -> Result<String, getrandom::Error> {
        let token = crate::random::hex(16)?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| e.at.elapsed() < TTL);
        entries.insert(
            token.clone(),
            Entry {
                window: window.to_owned(),
                at: Instant::now(),
                reply,
            },
        );
        Ok(token)
    }

    /// The reply under `token`, if `window` stashed it less than a minute ago; taken out, so a
    /// second fetch gets nothing. Another window's fetch leaves it in place.
    pub fn take(&self, window: &str, token: &str) -> Option<Encoded> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(token) {
            Some(e) if e.window == window && e.at.elapsed() < TTL => {
                entries.remove(token).map(|e| e.reply)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_and_per_window() {
        let s = Stash::default();
        let t = s.put("main", Encoded::Bytes(vec![1, 2, 3])).unwrap();
        assert_eq!(t.len(), 32);
        assert_eq!(s.take("other", &t), None, "another window cannot take it");
        assert_eq!(s.take("main", "0".repeat(32).as_str()), None);
        assert_eq!(s.take("main", &t), Some(Encoded::Bytes(vec![1, 2, 3])));
        assert_eq!(s.take("main", &t), None, "only once");
        let t2 = s.put("main", Encoded::Json(b"1".to_vec())).unwrap();
        assert_ne!(t, t2);
    }
}
