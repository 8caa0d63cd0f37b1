//! `store.*`: a persistent JSON object per app, in `$APPDATA/store.json`. Every change is
//! written to a temporary file, flushed, and renamed over the old one, so a crash or `kill -9`
//! mid-write leaves either the old store or the new one, never half of one; the temp files such
//! a crash leaves are swept on the store's first use. The file is 0600, and a symlink planted at
//! its name is neither read nor written through: the next write replaces it.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::ipc::IpcError;

pub struct Store {
    path: PathBuf,
    /// Serialises read-modify-write cycles between worker threads. It holds whether the temp
    /// files of dead writers have been swept yet.
    lock: Mutex<bool>,
}

impl Store {
    pub fn new(path: PathBuf) -> Store {
        Store {
            path,
            lock: Mutex::new(false),
        }
    }

    pub fn call(&self, op: &str, args: &Value) -> Result<Value, IpcError> {
        let mut swept = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if !*swept {
            *swept = true;
            if let Err(e) = crate::fs_util::remove_stale_temps(&self.path) {
                tracing::warn!("clearing old temp files beside the store: {e}");
            }
        }
        let mut map = self.load()?;
        let key = || -> Result<String, IpcError> {
            args.get("key")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| IpcError::BadArgs("expected { key: string }".into()))
        };
        match op {
            "get" => Ok(map.get(&key()?).cloned().unwrap_or(Value::Null)),
            "keys" => {
                // Sorted, whatever order the keys were set in (the file keeps that order).
                let mut keys: Vec<String> = map.keys().cloned().collect();
                keys.sort();
                Ok(Value::from(keys))
            }
            "set" => {
                let value = args
                    .get("value")
                    .cloned()
                    .ok_or_else(|| IpcError::BadArgs("expected { key: string, value }".into()))?;
                map.insert(key()?, value);
                self.save(&map)?;
                Ok(Value::Null)
            }
            "delete" => {
                let existed = map.remove(&key()?).is_some();
                if existed {
                    self.save(&map)?;
                }
                Ok(Value::Bool(existed))
            }
            "clear" => {
                map.clear();
                self.save(&map)?;
                Ok(Value::Null)
            }
            _ => Err(IpcError::NotFound(format!("store.{op}"))),
        }
    }

    fn load(&self) -> Result<Map<String, Value>, IpcError> {
        // A link at the store's name was planted, not written by the host (which only renames
        // files over it): its target is never read, and the next write replaces the link.
        let read = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&self.path)
            .and_then(|mut f| {
                if !f.metadata()?.is_file() {
                    return Err(std::io::Error::other("not a regular file"));
                }
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).map(|_| bytes)
            });
        match read {
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                tracing::warn!(
                    "{} is a symlink: it is not followed, and the next write replaces it",
                    self.path.display()
                );
                Ok(Map::new())
            }
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(IpcError::Handler(format!(
                    "{} is not a JSON object; it was left as it is",
                    self.path.display()
                ))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
            Err(e) => Err(IpcError::Handler(format!("reading the store: {e}"))),
        }
    }

    fn save(&self, map: &Map<String, Value>) -> Result<(), IpcError> {
        let text = serde_json::to_vec_pretty(map)
            .map_err(|e| IpcError::Handler(format!("encoding the store: {e}")))?;
        crate::fs_util::write_private(&self.path, &text)
            .map_err(|e| IpcError::Handler(format!("writing the store: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_and_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let s = Store::new(tmp.path().join("app/store.json"));
        assert_eq!(s.call("get", &json!({"key": "a"})).unwrap(), Value::Null);
        s.call("set", &json!({"key": "a", "value": {"n": [1, 2]}}))
            .unwrap();
        s.call("set", &json!({"key": "b", "value": "x"})).unwrap();
        assert_eq!(
            s.call("get", &json!({"key": "a"})).unwrap(),
            json!({"n": [1, 2]})
        );
        assert_eq!(s.call("keys", &Value::Null).unwrap(), json!(["a", "b"]));
        assert_eq!(s.call("delete", &json!({"key": "a"})).unwrap(), json!(true));
        assert_eq!(
            s.call("delete", &json!({"key": "a"})).unwrap(),
            json!(false)
        );
        // A second store on the same file sees the same data: it is on disk.
        let again = Store::new(tmp.path().join("app/store.json"));
        assert_eq!(again.call("keys", &Value::Null).unwrap(), json!(["b"]));
        again.call("clear", &Value::Null).unwrap();
        assert_eq!(s.call("keys", &Value::Null).unwrap(), json!([]));
        assert_eq!(
            s.call("set", &json!({"key": 1})).unwrap_err().code(),
            "bad_args"
        );
        assert_eq!(s.call("get", &json!({})).unwrap_err().code(), "bad_args");
        // A corrupt store is reported and left alone, not overwritten.
        fs::write(tmp.path().join("app/store.json"), "[1,").unwrap();
        assert_eq!(
            s.call("set", &json!({"key": "k", "value": 1}))
                .unwrap_err()
                .code(),
            "handler_error"
        );
        assert_eq!(
            fs::read_to_string(tmp.path().join("app/store.json")).unwrap(),
            "[1,"
        );
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(tmp.path().join("app"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn first_use_sweeps_temps_of_dead_writers() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store.json");
        fs::write(&path, r#"{"a": 1}"#).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = tmp.path().join(format!(".store.json.{dead}.3.tmp"));
        fs::write(&stale, "{half").unwrap();
        let s = Store::new(path);
        assert_eq!(s.call("get", &json!({"key": "a"})).unwrap(), json!(1));
        assert!(!stale.exists());
    }

    #[test]
    fn the_store_is_private_and_a_planted_link_is_replaced() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim.json");
        fs::write(&victim, r#"{"secret": 1}"#).unwrap();
        let path = tmp.path().join("store.json");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let s = Store::new(path.clone());
        // The target is never read...
        assert_eq!(s.call("keys", &Value::Null).unwrap(), json!([]));
        s.call("set", &json!({"key": "a", "value": 1})).unwrap();
        // ...nor written: the link is replaced by the store, 0600.
        assert_eq!(fs::read_to_string(&victim).unwrap(), r#"{"secret": 1}"#);
        let meta = fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // An older store of mode 0644 becomes 0600 at its next write.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        s.call("set", &json!({"key": "b", "value": 2})).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
