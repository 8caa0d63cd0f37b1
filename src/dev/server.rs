//! A framework dev server for `apphost dev`: `[dev] command` started with the app, and the
//! wait until `[dev] url` answers.
//!
//! The command runs under `sh -c` in the app folder, in a process group of its own, with its
//! output on apphost's terminal. A small shell around it watches apphost: whenever apphost
//! goes (it quits, it is killed, Ctrl+C), the shell takes the whole group down, so no `npm`,
//! `vite` or `node` outlives the app; dropping [`DevServer`] does the same at once.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

pub struct DevServer {
    child: Child,
}

impl DevServer {
    pub fn start(command: &str, dir: &Path) -> anyhow::Result<DevServer> {
        // `$0` is apphost's pid; the loop ends when apphost or the command has gone, and the
        // EXIT trap then ends the group (the command and everything it started). Nothing
        // waits for the command after the loop: that would outlive apphost.
        let watch = r#"trap 'trap - EXIT TERM; kill -TERM 0 2>/dev/null' EXIT TERM
sh -c "$1" &
cmd=$!
while kill -0 "$0" 2>/dev/null && kill -0 "$cmd" 2>/dev/null; do sleep 0.3; done"#;
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new("sh")
                .arg("-c")
                .arg(watch)
                .arg(std::process::id().to_string())
                .arg(command)
                .current_dir(dir)
                .stdin(Stdio::null()),
            0,
        )
        .spawn()
        .with_context(|| format!("starting `[dev] command` `{command}`"))?;
        Ok(DevServer { child })
    }

    /// Whether the command is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        if let Ok(group) = i32::try_from(self.child.id())
            && group > 1
        {
            // The group leader's pid is the group's id: a negative pid signals all of it.
            // SAFETY: kill(2) with a negative pid signals exactly that process group.
            unsafe { libc::kill(-group, libc::SIGTERM) };
        }
        let _ = self.child.wait();
    }
}

/// Whether something accepts connections at `url`'s host and port now.
pub fn answers(url: &url::Url) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return false;
    };
    let Ok(addrs) = (host, port).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, Duration::from_millis(200)).is_ok())
}

/// Waits until `url` answers, at most `limit`; polls every 100 ms.
pub fn wait_for(url: &url::Url, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if answers(url) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_goes_with_the_handle() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let server = DevServer::start("echo $$ > pid; exec sleep 30", dir.path()).unwrap();
        let mut pid = String::new();
        for _ in 0..50 {
            pid = std::fs::read_to_string(&pidfile).unwrap_or_default();
            if !pid.trim().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let stat = std::path::PathBuf::from(format!("/proc/{}/stat", pid.trim()));
        // Gone, or a zombie waiting for whoever reaps orphans here.
        let alive = || {
            std::fs::read_to_string(&stat).is_ok_and(|s| {
                s.rsplit_once(") ")
                    .is_some_and(|(_, rest)| !rest.starts_with('Z'))
            })
        };
        assert!(alive(), "the command did not start");
        drop(server);
        for _ in 0..50 {
            if !alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the command outlived its DevServer");
    }

    #[test]
    fn waits_for_a_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert!(wait_for(&url, Duration::from_secs(2)));
        drop(listener);
        // Not the port just freed: a test running beside this one may have bound it since.
        let closed = url::Url::parse("http://127.0.0.1:1/").unwrap();
        assert!(!answers(&closed));
        assert!(!wait_for(&closed, Duration::from_millis(300)));
    }
}
