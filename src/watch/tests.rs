//! Real watchers on real folders, saving files the way editors and tools do. Each test ends by
//! changing a sentinel file and waiting for it: events are handled in order, so once the
//! sentinel is seen, anything the edit under test caused has been seen too. The sentinel has a
//! folder of its own: a folder event makes the watcher look at the folder's current content,
//! which could show the sentinel ahead of the edit's own events. A short grace period after it
//! catches anything late all the same.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::*;

/// Long enough for a loaded CI machine; a passing test waits far less.
const FIRST: Duration = Duration::from_secs(2);

struct App {
    _tmp: TempDir,
    dir: PathBuf,
    watcher: Watcher,
    batches: Receiver<Batch>,
    sentinels: usize,
}

impl App {
    fn start(opts: Options) -> App {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().canonicalize().expect("canonical");
        write(&dir.join("app.toml"), "[app]\nid = \"t.t\"\nname = \"t\"\n");
        write(&dir.join("web/index.html"), "<h1>hi</h1>");
        write(&dir.join("web/app.css"), "h1 { color: red }");
        write(&dir.join("web/page.js"), "console.log(1)");
        write(&dir.join("scripts/notes.rhai"), "fn save(x) { x }");
        Self::start_in(tmp, dir, opts)
    }

    fn start_in(tmp: TempDir, dir: PathBuf, opts: Options) -> App {
        let layout = Layout {
            manifest: dir.join("app.toml"),
            frontend: dir.join("web"),
            dir: dir.clone(),
        };
        let (tx, batches) = mpsc::channel();
        let watcher = Watcher::start(layout, opts, move |batch| {
            let _ = tx.send(batch);
        })
        .expect("start");
        assert!(watcher.wait_ready(FIRST), "fingerprints taken");
        App {
            _tmp: tmp,
            dir,
            watcher,
            batches,
            sentinels: 0,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Changes the sentinel and returns every kind seen until it arrived, the sentinel's own
    /// kind left out, with the number of batches that carried them.
    fn kinds_until_sentinel(&mut self) -> (Vec<Kind>, usize) {
        self.sentinels += 1;
        let path = self.path("sentinel/s.txt");
        write(&path, &self.sentinels.to_string());
        let sentinel = Kind::Other(path);
        let mut deadline = Instant::now() + FIRST;
        let (mut kinds, mut count, mut seen) = (Vec::new(), 0, false);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(batch) = self.batches.recv_timeout(left) else {
                assert!(seen, "no sentinel within {FIRST:?}; saw {kinds:?}");
                return (kinds, count);
            };
            if batch.kinds.contains(&sentinel) && !seen {
                seen = true;
                deadline = Instant::now() + Duration::from_millis(60);
            }
            let others: Vec<Kind> = batch.kinds.into_iter().filter(|k| *k != sentinel).collect();
            count += usize::from(!others.is_empty());
            kinds.extend(others);
        }
    }

    /// Asserts that the changes since the last call are exactly `expected`, in any order and
    /// over any number of batches.
    fn expect(&mut self, expected: &[Kind]) {
        let (mut seen, _) = self.kinds_until_sentinel();
        seen.sort_by_key(|k| format!("{k:?}"));
        seen.dedup();
        let mut expected = expected.to_vec();
        expected.sort_by_key(|k| format!("{k:?}"));
        assert_eq!(seen, expected);
    }
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(path, text).expect("write");
}

fn css(s: &str) -> Kind {
    Kind::Stylesheet(s.into())
}

fn page(s: &str) -> Kind {
    Kind::Frontend(s.into())
}

#[test]
fn merged_batches_keep_first_seen_order_without_duplicates() {
    let mut batch = Batch {
        kinds: vec![css("a.css"), Kind::Manifest],
        paths: vec!["/a/web/a.css".into(), "/a/app.toml".into()],
    };
    batch.merge(Batch {
        kinds: vec![page("b.js"), css("a.css")],
        paths: vec!["/a/web/b.js".into(), "/a/web/a.css".into()],
    });
    assert_eq!(batch.kinds, [css("a.css"), Kind::Manifest, page("b.js")]);
    let paths: Vec<&str> = batch.paths.iter().filter_map(|p| p.to_str()).collect();
    assert_eq!(paths, ["/a/web/a.css", "/a/app.toml", "/a/web/b.js"]);
}

#[test]
fn in_place_writes_of_each_part_are_classified() {
    let mut app = App::start(Options::default());
    write(&app.path("web/app.css"), "h1 { color: blue }");
    write(
        &app.path("app.toml"),
        "[app]\nid = \"t.t\"\nname = \"renamed\"\n",
    );
    write(&app.path("scripts/notes.rhai"), "fn save(x) { x + 1 }");
    write(&app.path("icons/app.png"), "png");
    let (script, icon) = (app.path("scripts/notes.rhai"), app.path("icons/app.png"));
    app.expect(&[
        css("app.css"),
        Kind::Manifest,
        Kind::Script(script),
        Kind::Other(icon),
    ]);
}

#[test]
fn temp_file_renamed_over_the_original() {
    let mut app = App::start(Options::default());
    // VS Code-style atomic save, then JetBrains "safe write".
    write(&app.path("web/app.css.tmp"), "h1 { color: green }");
    fs::rename(app.path("web/app.css.tmp"), app.path("web/app.css")).expect("rename");
    app.expect(&[css("app.css")]);

    let (html, tmp, old) = (
        app.path("web/index.html"),
        app.path("web/index.html___jb_tmp___"),
        app.path("web/index.html___jb_old___"),
    );
    write(&tmp, "<h1>jb</h1>");
    fs::rename(&html, &old).expect("rename old");
    fs::rename(&tmp, &html).expect("rename new");
    fs::remove_file(&old).expect("rm old");
    app.expect(&[page("index.html")]);
}

#[test]
fn vim_backup_rename_save() {
    let mut app = App::start(Options::default());
    let (js, backup, probe) = (
        app.path("web/page.js"),
        app.path("web/page.js~"),
        app.path("web/4913"),
    );
    write(&probe, "");
    fs::remove_file(&probe).expect("rm probe");
    fs::rename(&js, &backup).expect("backup");
    write(&js, "console.log(2)");
    fs::remove_file(&backup).expect("rm backup");
    app.expect(&[page("page.js")]);
}

#[test]
fn delete_then_create_and_plain_delete() {
    let mut app = App::start(Options::default());
    fs::remove_file(app.path("web/app.css")).expect("rm");
    write(&app.path("web/app.css"), "h1 { color: teal }");
    app.expect(&[css("app.css")]);

    fs::remove_file(app.path("web/page.js")).expect("rm");
    app.expect(&[page("page.js")]);
}

#[test]
fn a_save_of_identical_bytes_is_no_change() {
    let mut app = App::start(Options::default());
    write(&app.path("web/app.css"), "h1 { color: red }");
    write(&app.path("app.toml"), "[app]\nid = \"t.t\"\nname = \"t\"\n");
    // And an attribute-only change.
    let css = app.path("web/app.css");
    let mut perms = fs::metadata(&css).expect("meta").permissions();
    perms.set_readonly(true);
    fs::set_permissions(&css, perms).expect("chmod");
    app.expect(&[]);
}

#[test]
fn a_burst_like_git_checkout_arrives_in_few_batches() {
    let mut app = App::start(Options::default());
    for i in 0..50 {
        write(&app.path(&format!("web/gen/f{i}.js")), &format!("// {i}"));
    }
    write(&app.path(".git/index"), "noise");
    let (mut kinds, batches) = app.kinds_until_sentinel();
    kinds.sort_by_key(|k| format!("{k:?}"));
    // A file seen between its creation and its write is reported again after the write.
    kinds.dedup();
    let mut expected: Vec<Kind> = (0..50).map(|i| page(&format!("gen/f{i}.js"))).collect();
    expected.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(kinds, expected);
    // Usually 1-5 batches; a loaded machine (a whole test suite on 2 cores) can stretch the
    // burst across more debounce windows (12 seen), so this pins coalescing, not a count.
    assert!(batches <= 25, "{batches} batches for 50 files");
}

#[test]
fn a_file_replaced_by_a_folder() {
    let mut app = App::start(Options::default());
    fs::remove_file(app.path("web/page.js")).expect("rm");
    write(&app.path("web/page.js/inner.js"), "x");
    app.expect(&[page("page.js"), page("page.js/inner.js")]);
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

/// Reading a FIFO would block the worker for good, following a folder symlink could loop.
#[cfg(unix)]
#[test]
fn symlink_loops_and_fifos_neither_hang_nor_panic() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().canonicalize().expect("canonical");
    write(&dir.join("app.toml"), "");
    write(&dir.join("web/index.html"), "x");
    symlink(&dir, dir.join("web/up")).expect("symlink up");
    symlink(dir.join("web/self"), dir.join("web/self")).expect("symlink self");
    mkfifo(&dir.join("web/pipe"));
    let mut app = App::start_in(tmp, dir, Options::default());
    symlink(app.path("web/b"), app.path("web/a")).expect("a -> b");
    symlink(app.path("web/a"), app.path("web/b")).expect("b -> a");
    symlink(app.path("web"), app.path("web/web")).expect("web -> web");
    mkfifo(&app.path("web/pipe2"));
    app.expect(&[]);
}

#[test]
fn the_watcher_may_be_dropped_from_its_own_callback() {
    use std::sync::{Arc, Mutex};
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().canonicalize().expect("canonical");
    let layout = Layout {
        manifest: dir.join("app.toml"),
        frontend: dir.clone(),
        dir: dir.clone(),
    };
    let slot: Arc<Mutex<Option<Watcher>>> = Arc::default();
    let (done_tx, done) = mpsc::channel();
    let watcher = {
        let slot = slot.clone();
        Watcher::start(layout, Options::default(), move |_| {
            drop(slot.lock().expect("lock").take());
            let _ = done_tx.send(());
        })
        .expect("start")
    };
    assert!(watcher.wait_ready(FIRST));
    *slot.lock().expect("lock") = Some(watcher);
    write(&dir.join("index.html"), "x");
    done.recv_timeout(FIRST).expect("callback returned");
    assert!(slot.lock().expect("lock").is_none());
}

#[test]
fn the_frontend_folder_deleted() {
    let mut app = App::start(Options::default());
    fs::remove_dir_all(app.path("web")).expect("rm -r web");
    write(&app.path("scripts/notes.rhai"), "fn save(x) { 0 }");
    let script = Kind::Script(app.path("scripts/notes.rhai"));
    app.expect(&[css("app.css"), page("index.html"), page("page.js"), script]);
}

#[test]
fn a_slow_consumer_gets_one_merged_batch_not_a_queue() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().canonicalize().expect("canonical");
    write(&dir.join("web/a.js"), "a");
    let layout = Layout {
        manifest: dir.join("app.toml"),
        frontend: dir.join("web"),
        dir: dir.clone(),
    };
    let (entered_tx, entered) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let (seen_tx, seen) = mpsc::channel();
    let watcher = Watcher::start(layout, Options::default(), move |batch| {
        let _ = entered_tx.send(());
        let _ = release.recv();
        let _ = seen_tx.send(batch.kinds);
    })
    .expect("start");
    assert!(watcher.wait_ready(FIRST));
    write(&dir.join("web/a.js"), "a2");
    entered.recv_timeout(FIRST).expect("first batch delivered");
    for name in ["b", "c", "d"] {
        write(&dir.join(format!("web/{name}.js")), name);
        std::thread::sleep(Duration::from_millis(60));
    }
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..2 {
        release_tx.send(()).expect("release");
    }
    assert_eq!(seen.recv_timeout(FIRST).expect("first"), [page("a.js")]);
    assert_eq!(
        seen.recv_timeout(FIRST).expect("merged"),
        [page("b.js"), page("c.js"), page("d.js")]
    );
    drop(watcher);
    assert!(seen.recv_timeout(Duration::from_millis(100)).is_err());
}

#[test]
fn a_moved_frontend_follows_the_new_layout() {
    let mut app = App::start(Options::default());
    let dir = app.dir.clone();
    app.watcher.set_layout(Layout {
        manifest: dir.join("app.toml"),
        frontend: dir.join("scripts"),
        dir: dir.clone(),
    });
    write(&app.path("web/app.css"), "changed");
    write(&app.path("scripts/view.html"), "<p>");
    let css_now = Kind::Other(app.path("web/app.css"));
    app.expect(&[css_now, page("view.html")]);
}

#[test]
fn polling_sees_changes_too() {
    let mut app = App::start(Options { poll: true });
    assert!(app.watcher.is_polling());
    write(&app.path("web/app.css"), "h1 { color: olive }");
    app.expect(&[css("app.css")]);
}

/// `cargo test --lib watch::tests::start_cost -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check: about 10,000 files"]
fn start_cost_on_10000_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().canonicalize().expect("canonical");
    let kib = "x".repeat(1024);
    for d in 0..100 {
        for f in 0..100 {
            write(&dir.join(format!("web/d{d}/f{f}.js")), &kib);
        }
    }
    let layout = Layout {
        manifest: dir.join("app.toml"),
        frontend: dir.join("web"),
        dir: dir.clone(),
    };
    let rss_before = rss_kib();
    let started = Instant::now();
    let watcher = Watcher::start(layout, Options::default(), |_| {}).expect("start");
    let watching = started.elapsed();
    assert!(watcher.wait_ready(Duration::from_secs(30)));
    let ready = started.elapsed();
    // Let the debouncer drain the open/close events of the fingerprinting.
    std::thread::sleep(Duration::from_millis(300));
    let rss = rss_kib() - rss_before;
    drop(watcher);

    let mut files = super::files::Files::new(dir);
    files.scan(&std::sync::atomic::AtomicBool::new(false));
    let poll_started = Instant::now();
    files.rescan(&mut Vec::new());
    println!(
        "10,000 files: watching after {watching:?}, ready after {ready:?}, resident set \
         +{rss} KiB; one poll (stat all) {:?}",
        poll_started.elapsed()
    );
}

fn rss_kib() -> i64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
