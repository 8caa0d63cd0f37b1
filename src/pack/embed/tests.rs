//! Real binaries, no mocks: the host is a stripped copy of this test binary, and a packaged
//! copy is run with arguments that select the one ignored [`probe`] test, which prints what
//! [`own_payload`] found.

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::*;

const PROBE_ENV: &str = "APPHOST_EMBED_PROBE";

/// Run only inside copies of this binary (the other tests select it by name): prints one line
/// with `own_payload()`'s result and one with how long it took.
#[test]
#[ignore = "run inside packaged copies of this test binary by the tests below"]
fn probe() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    let start = Instant::now();
    let result = own_payload();
    let micros = start.elapsed().as_secs_f64() * 1e6;
    match result {
        Ok(Some(payload)) => println!("PROBE ok {}", digest(payload)),
        Ok(None) => println!("PROBE none"),
        Err(e) => println!("PROBE err {e}"),
    }
    println!("PROBE micros {micros:.1}");
}

/// An opaque payload of `len` bytes that starts as apphost's payloads do.
fn payload(len: usize) -> Vec<u8> {
    let mut bytes = b"APPHOST\0".to_vec();
    bytes.extend_from_slice(&(len as u64).to_le_bytes());
    bytes.extend((bytes.len()..len).map(|i| (i * 7 + i / 251) as u8));
    bytes.truncate(len);
    bytes
}

fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("{} {hex}", bytes.len())
}

/// A plain host: this test binary without its symbols (as the release host is built), so
/// copies are about 15 MB instead of 240.
fn plain_host(dir: &Path) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let host = dir.join("host");
    tool(&["strip", "-o", path_str(&host), path_str(&exe)]);
    host
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Runs a binutils/elfutils command, failing the test when it is missing or fails.
fn tool(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{} is needed by this test: {e}", args[0]));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write_exe(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// `host` with `payload` embedded, written as an executable `name` beside it.
fn package(host: &Path, name: &str, payload: &[u8]) -> PathBuf {
    let packaged = embed(&std::fs::read(host).expect("read host"), payload).expect("embed");
    let path = host.with_file_name(name);
    write_exe(&path, &packaged);
    path
}

/// Runs the probe in `exe` (through `loader` when given). `Err` is the spawn error (the kernel
/// refusing the file); a signal-killed probe fails the test.
fn run_probe(exe: &Path, loader: Option<&Path>) -> std::io::Result<Output> {
    let out = spawn_probe(exe, loader)?;
    assert_eq!(
        out.status.signal(),
        None,
        "{} was killed by a signal; stderr: {}",
        exe.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

/// [`run_probe`] without the signal check.
fn spawn_probe(exe: &Path, loader: Option<&Path>) -> std::io::Result<Output> {
    let mut command = match loader {
        Some(loader) => {
            let mut c = Command::new(loader);
            c.arg(exe);
            c
        }
        None => Command::new(exe),
    };
    command
        .args(["pack::embed::tests::probe", "--exact", "--ignored"])
        .args(["--nocapture", "--test-threads=1"])
        .env(PROBE_ENV, "1");
    // A file just written can be briefly "busy" while another test thread forks: retry.
    let mut tries = 0;
    loop {
        match command.output() {
            Err(e) if e.kind() == ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => break other,
        }
    }
}

/// The probe's `PROBE ...` result line ("ok LEN SHA", "none" or "err MESSAGE").
fn probe_result(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| {
            // Printed after the harness's "test NAME ... " on the same line.
            Some(l.split_once("PROBE ")?.1).filter(|r| !r.starts_with("micros"))
        })
        .unwrap_or_else(|| {
            panic!(
                "no probe line; status {:?}\nstdout: {stdout}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .to_string()
}

fn probe_in(exe: &Path) -> String {
    probe_result(&run_probe(exe, None).expect("spawn"))
}

mod files;
mod running;
