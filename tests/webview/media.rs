//! `<audio>` and `<video>` playing the app's own files (`tests/apps/media`), as a user sees it:
//! relative URLs in the HTML, media made or re-pointed from script, `<source>` children, a
//! missing file, a packaged app, and the memory a 1 GiB file costs the host when the page reads
//! it. The page does nothing special; how the host makes media play is not these tests' business.
//!
//! WebKitGTK cannot play media from a custom scheme (WebKit bug 146351: error 4,
//! `MEDIA_ERR_SRC_NOT_SUPPORTED`), so the control test plays the same file through a `blob:`
//! URL: when it passes and another fails, the fixture and GStreamer are fine and the way the
//! host serves media is not.
//!
//! The page's `probe(el)` (`web/probe.js`) waits for the metadata, plays muted, waits for
//! `currentTime` to move 0.3 s, pauses and seeks; it answers with what it saw, an error, or the
//! stage that timed out.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::copy_dir;
use crate::harness::{self, Session, launch, launch_program, repo};

fn media_app() -> PathBuf {
    repo().join("tests/apps/media")
}

/// Runs `setup` (an async function body that returns a media element) in the page, then
/// `probe(element, options)`.
fn probe(s: &Session, setup: &str, options: &str) -> Value {
    s.js_async(&format!(
        "(async () => {{ {setup} }})()
           .then(el => probe(el, {options}))
           .then(done, e => done({{ thrown: String(e) }}))"
    ))
}

/// What a probe sees of `tone.wav` (2 s).
fn tone() -> Value {
    json!({ "duration": "2.0", "advanced": true, "seeked": "1.5" })
}

/// What a probe sees of `sounds/höhe ton.wav` (1 s), seeking to 0.5 s.
fn short_tone() -> Value {
    json!({ "duration": "1.0", "advanced": true, "seeked": "0.5" })
}

/// What a probe sees of `clip.webm` (VP8/Vorbis, 64x48, 2 s).
fn webm() -> Value {
    json!({ "duration": "2.0", "width": 64, "height": 48, "advanced": true, "seeked": "1.5" })
}

/// What a probe sees of `clip.mp4` (VP9/Opus, 48x32, 2 s), and of `clip-h264.mp4` (H.264/AAC).
fn mp4() -> Value {
    json!({ "duration": "2.0", "width": 48, "height": 32, "advanced": true, "seeked": "1.5" })
}

#[test]
fn control_the_fixtures_play_from_blob_urls() {
    let s = launch(&media_app());
    let from_blob = |file: &str, tag: &str, options: &str| {
        probe(
            &s,
            &format!(
                "const bytes = await (await fetch({file:?})).blob();
                 const el = document.createElement({tag:?});
                 el.id = 'blob ' + {file:?};
                 document.body.append(el);
                 el.src = URL.createObjectURL(bytes);
                 return el;"
            ),
            options,
        )
    };
    let results = json!({
        "tone.wav": from_blob("tone.wav", "audio", "{}"),
        "sounds/höhe ton.wav": from_blob("sounds/höhe ton.wav", "audio", "{ seek: 0.5 }"),
        "clip.webm": from_blob("clip.webm", "video", "{}"),
        "clip.mp4": from_blob("clip.mp4", "video", "{}"),
    });
    assert_eq!(
        results,
        json!({
            "tone.wav": tone(),
            "sounds/höhe ton.wav": short_tone(),
            "clip.webm": webm(),
            "clip.mp4": mp4(),
        })
    );
    // The colour a_video_frame_reads_back_through_a_canvas expects (a blob: URL is the
    // page's own origin, so its frames read back).
    let pixel = s.js(&format!(
        "{CENTRE_PIXEL}; return centre(document.getElementById('blob clip.webm'))"
    ));
    assert_blue(&pixel);
}

#[test]
fn audio_in_the_html_plays_and_seeks() {
    let s = launch(&media_app());
    let r = probe(&s, "return document.getElementById('tone');", "{}");
    assert_eq!(r, tone());
}

#[test]
fn h264_aac_mp4_plays() {
    // The format most videos come in. It needs gstreamer1.0-libav (scripts/setup.sh installs
    // it; WebKitGTK only recommends it).
    let s = launch(&media_app());
    let r = probe(
        &s,
        "const v = document.createElement('video');
         document.body.append(v);
         v.src = 'clip-h264.mp4';
         return v;",
        "{}",
    );
    assert_eq!(r, mp4());
}

#[test]
fn video_with_a_poster_plays_and_seeks() {
    let s = launch(&media_app());
    let r = probe(&s, "return document.getElementById('clip');", "{}");
    assert_eq!(r, webm());
    // Whatever URL the poster ended up with, it is the app's 64x48 PNG.
    let poster = s.js_async(
        "const img = new Image();
         img.onload = () => done([img.naturalWidth, img.naturalHeight]);
         img.onerror = () => done('the poster did not load: ' + img.src);
         img.src = document.getElementById('clip').poster;",
    );
    assert_eq!(poster, json!([64, 48]));
}

#[test]
fn video_with_source_children_plays_the_first_it_can() {
    let s = launch(&media_app());
    // Both are decodable here (plugins-good and -base, which WebKitGTK depends on): the mp4
    // comes first, so it is the one that plays (48x32; the webm is 64x48).
    let types = s.js("const v = document.createElement('video');
         return [v.canPlayType('video/mp4; codecs=\"vp09.00.10.08, opus\"'),
                 v.canPlayType('video/webm')]");
    assert_eq!(types, json!(["probably", "maybe"]));
    let r = probe(&s, "return document.getElementById('sources');", "{}");
    assert_eq!(r, mp4());
}

#[test]
fn media_made_or_repointed_from_script_plays() {
    let s = launch(&media_app());
    // The file whose name needs escaping is there (this passes today): what follows is about
    // media, not file names.
    let status = s.js_async("fetch('sounds/höhe ton.wav').then(r => done(r.status))");
    assert_eq!(status, 200);
    let created = probe(&s, "return new Audio('tone.wav');", "{}");
    let repointed = probe(
        &s,
        "const el = document.getElementById('tone');
         await probe(el);
         el.src = 'sounds/höhe ton.wav';
         return el;",
        "{ seek: 0.5 }",
    );
    let set_attribute = probe(
        &s,
        "const v = document.createElement('video');
         document.body.append(v);
         v.setAttribute('src', 'clip.webm');
         return v;",
        "{}",
    );
    let inner_html = probe(
        &s,
        "const slot = document.getElementById('slot');
         slot.innerHTML = '<video src=\"clip.mp4\"></video>';
         return slot.firstElementChild;",
        "{}",
    );
    let in_subfolder = probe(
        &s,
        "const slot = document.getElementById('slot');
         slot.innerHTML = '<audio src=\"sounds/h%C3%B6he%20ton.wav\"></audio>';
         return slot.firstElementChild;",
        "{ seek: 0.5 }",
    );
    let short = short_tone();
    assert_eq!(
        json!({
            "new Audio": created,
            "el.src re-pointed": repointed,
            "setAttribute": set_attribute,
            "innerHTML": inner_html,
            "escaped name in a subfolder": in_subfolder,
        }),
        json!({
            "new Audio": tone(),
            "el.src re-pointed": short,
            "setAttribute": webm(),
            "innerHTML": mp4(),
            "escaped name in a subfolder": short,
        })
    );
}

#[test]
fn a_missing_media_file_is_an_error_not_a_hang() {
    let s = launch(&media_app());
    let started = Instant::now();
    let r = probe(&s, "return new Audio('no-such-file.wav');", "{}");
    // WebKit reports a file it could not get as a network error (2) or as a source it cannot
    // play (4), depending on how it was served; either is an `error` event.
    let code = r["error"].as_u64();
    assert!(matches!(code, Some(2 | 4)), "{r}");
    assert!(r.get("duration").is_none(), "{r}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(s.host_running());
    assert_eq!(s.js("return document.title"), "media fixture");
    let status = s.js_async("fetch('tone.wav').then(r => done(r.status))");
    assert_eq!(status, 200);
}

/// Defines `centre(video)`: the RGBA of the pixel at the centre of the video's current frame,
/// drawn into a canvas, or the error reading it back gave.
const CENTRE_PIXEL: &str = "const centre = (v) => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 48;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0, 64, 48);
    try { return Array.from(g.getImageData(32, 24, 1, 1).data); }
    catch (e) { return String(e); }
  }";

/// videotestsrc's blue (0, 0, 255), through VP8's YUV 4:2:0 and back.
fn assert_blue(pixel: &Value) {
    let rgba: Vec<u64> = pixel
        .as_array()
        .unwrap_or_else(|| panic!("no pixel: {pixel}"))
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert!(
        rgba[0] < 32 && rgba[1] < 32 && rgba[2] > 220 && rgba[3] == 255,
        "not blue: {rgba:?}"
    );
}

#[test]
fn a_video_frame_reads_back_through_a_canvas() {
    // A page drawing its own video into a canvas (thumbnails, effects) can read the pixels
    // back, as from any same-origin file: the canvas must not be tainted.
    let s = launch(&media_app());
    let r = probe(
        &s,
        "return document.getElementById('clip');",
        "{ seek: 0.5 }",
    );
    let mut seeked = webm();
    seeked["seeked"] = json!("0.5");
    assert_eq!(r, seeked);
    let pixel = s.js(&format!(
        "{CENTRE_PIXEL}; return centre(document.getElementById('clip'))"
    ));
    assert_blue(&pixel);
}

#[test]
fn media_plays_in_a_packaged_app() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    copy_dir(&media_app(), &src);
    let exe = work.path().join("media-app");
    let r = crate::common::run(
        &[
            "package",
            src.to_str().unwrap(),
            "-o",
            exe.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A packaged app reads its own payload only: nothing of the source is left to serve.
    std::fs::remove_dir_all(&src).unwrap();
    let s = launch_program(&exe, &[], "apphost=info", Some(work.path()));
    let audio = probe(&s, "return document.getElementById('tone');", "{}");
    let video = probe(&s, "return document.getElementById('clip');", "{}");
    assert_eq!(json!([audio, video]), json!([tone(), webm()]));
}

/// How far the host's resident memory may grow while it serves a 1 GiB file. The file is
/// streamed, so the host never holds it whole (before streaming it grew by 2047 MiB: the file,
/// then WebKit's copy). It is not held to the benchmark's 64 MiB target: WebKit reads a custom
/// scheme's stream as fast as it gives, with no back-pressure from the page, so what the page
/// has not read yet waits in the host — 22 to 137 MiB in runs here, depending on how the page
/// keeps up. `cargo bench --bench media` reports it against the target.
const MEMORY_BOUND_KIB: u64 = 384 << 10;

#[test]
fn a_1_gib_file_is_streamed_not_held_whole() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    copy_dir(&media_app(), &app);
    // Sparse: costs no disk, and reads as zeros at page-cache speed.
    let big = std::fs::File::create(app.join("web/big.bin")).unwrap();
    big.set_len(1 << 30).unwrap();
    drop(big);

    let s = launch(&app);
    let pid = host_pid(&s);
    std::thread::sleep(Duration::from_millis(500));
    let idle = status_kib(pid, "VmRSS").expect("the host's VmRSS");
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0); where that is
    // refused, the peak is what sampling VmRSS every 20 ms sees.
    let hwm_reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    s.js("window.__big = null;
         readAll('big.bin').then(v => window.__big = v, e => window.__big = { error: String(e) });
         return true");
    let mut sampled = idle;
    let mut result = Value::Null;
    let started = Instant::now();
    let mut last_poll = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        match status_kib(pid, "VmRSS") {
            Some(rss) => sampled = sampled.max(rss),
            None => panic!(
                "the host ended while serving 1 GiB (peak VmRSS seen {} MiB over idle)",
                (sampled - idle) >> 10
            ),
        }
        if last_poll.elapsed() > Duration::from_millis(250) {
            last_poll = Instant::now();
            result = s.js("return window.__big");
            if !result.is_null() {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let peak = match status_kib(pid, "VmHWM") {
        Some(hwm) if hwm_reset => hwm.max(sampled),
        _ => sampled,
    };
    let grew = peak.saturating_sub(idle);
    eprintln!(
        "1 GiB over app://: {result}, host idle {} MiB, peak +{} MiB",
        idle >> 10,
        grew >> 10
    );
    assert_eq!(result["status"], 200, "{result}");
    assert_eq!(result["bytes"], 1u64 << 30, "{result}");
    assert!(
        grew < MEMORY_BOUND_KIB,
        "the host grew by {} MiB serving 1 GiB (bound {} MiB)",
        grew >> 10,
        MEMORY_BOUND_KIB >> 10
    );
}

/// The pid of the host the session launched: the `apphost` process with the session's `HOME`.
fn host_pid(s: &Session) -> u32 {
    let home = format!("HOME={}", s.home().display());
    let mut found = None;
    harness::wait_until(Duration::from_secs(5), || {
        found = std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            let environ = std::fs::read(e.path().join("environ")).ok()?;
            let ours = environ.split(|b| *b == 0).any(|v| v == home.as_bytes());
            (comm.trim_end() == "apphost" && ours).then_some(pid)
        });
        found.is_some()
    })
    .expect("the host process");
    found.unwrap()
}

/// A `kB` line of `/proc/PID/status`, or `None` once the process is gone.
fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"));
    let line = status
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':').map(str::to_owned))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

#[test]
fn the_page_reads_back_the_urls_it_wrote() {
    // Where the bytes come from is the host's business: the page sees its own URLs.
    let s = launch(&media_app());
    assert_eq!(
        probe(&s, "return document.getElementById('tone');", "{}"),
        tone()
    );
    let seen = s.js("const a = document.getElementById('tone');
         const b = new Audio('sounds/h%C3%B6he%20ton.wav');
         const c = document.createElement('video');
         c.crossOrigin = 'use-credentials';
         c.setAttribute('src', 'clip.webm');
         return [a.src, a.currentSrc, a.getAttribute('src'), a.crossOrigin,
                 a.getAttribute('crossorigin'), b.src, b.getAttribute('src'),
                 c.crossOrigin, c.getAttribute('src'), b instanceof Audio,
                 b instanceof HTMLAudioElement]");
    assert_eq!(
        seen,
        json!([
            "app://localhost/tone.wav",
            "app://localhost/tone.wav",
            "tone.wav",
            null,
            null,
            "app://localhost/sounds/h%C3%B6he%20ton.wav",
            "sounds/h%C3%B6he%20ton.wav",
            "use-credentials",
            "clip.webm",
            true,
            true
        ])
    );
    // The policy admits the app's own media from the loopback endpoint, and nothing more.
    let csp =
        s.js_async("fetch('index.html').then(r => done(r.headers.get('content-security-policy')))");
    let csp = csp.as_str().unwrap();
    let media = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("media-src"))
        .unwrap_or_else(|| panic!("{csp}"));
    let sources: Vec<&str> = media.split_whitespace().collect();
    assert_eq!(sources.len(), 4, "{media}");
    assert_eq!(&sources[..3], ["media-src", "'self'", "blob:"], "{media}");
    assert!(sources[3].starts_with("http://127.0.0.1:"), "{media}");
    assert!(!csp.contains("connect-src http://127.0.0.1"), "{csp}");
}
