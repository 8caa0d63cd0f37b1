//! Round trips, reproducibility, codec and MIME choice, and the byte layout itself. Corrupt and
//! hostile payloads are in `corrupt` and `hostile`.

mod corrupt;
mod dictionary;
mod hostile;

use std::borrow::Cow;

use super::*;

const HOST: &str = "1.2.3";

/// Deterministic bytes that do not compress (xorshift64*).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// Deterministic text that compresses well, as source code does.
fn text(seed: u64, len: usize) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "function", "return", "const", "window", "apphost", "invoke", "document", "=>", "{", "}",
        "await", "\n",
    ];
    let picks = noise(seed, len);
    let mut out = Vec::with_capacity(len + 16);
    for b in picks {
        if out.len() >= len {
            break;
        }
        out.extend_from_slice(WORDS[usize::from(b) % WORDS.len()].as_bytes());
        out.push(b' ');
    }
    out.truncate(len);
    out
}

fn files() -> Vec<(String, Vec<u8>)> {
    [
        ("index.html", text(1, 3000)),
        ("app.js", text(2, 40_000)),
        ("style.css", text(3, 2000)),
        ("data.json", text(4, 1000)),
        ("logo.svg", text(5, 800)),
        ("icon.png", noise(6, 3000)),
        ("empty.txt", Vec::new()),
        ("tiny.js", b"console.log(1)".to_vec()),
        ("random.bin", noise(7, 5000)),
        ("a/b/c/d.txt", text(8, 500)),
        ("a/b/e.js", text(9, 700)),
        ("a/x.txt", b"x".to_vec()),
        ("a-b.txt", text(10, 300)),
        ("fonts/f.woff2", noise(11, 1000)),
        ("caf\u{e9} 100%.txt", text(12, 400)),
    ]
    .into_iter()
    .map(|(p, b)| (p.to_string(), b))
    .collect()
}

fn payload() -> Vec<u8> {
    write(files(), DEFAULT_LEVEL, HOST).unwrap()
}

#[test]
fn round_trip() {
    let bytes = payload();
    let p = Payload::open(&bytes).unwrap();
    assert_eq!(p.host_version(), HOST);
    assert_eq!(p.format_version(), FORMAT_VERSION);
    assert_eq!(p.bytes().len(), bytes.len());
    let mut want = files();
    want.sort();
    let paths: Vec<&str> = p.entries().iter().map(|e| &*e.path).collect();
    let want_paths: Vec<&str> = want.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(paths, want_paths);
    for (path, content) in &want {
        let e = p.get(path).unwrap();
        assert_eq!(e.size, content.len() as u64, "{path}");
        assert_eq!(e.mime, mime_of(path), "{path}");
        assert_eq!(e.offset % 16, 0, "{path}");
        assert_eq!(p.read(e).unwrap().as_ref(), content.as_slice(), "{path}");
    }
    p.verify_all().unwrap();
    let codec = |path: &str| p.get(path).unwrap().codec;
    for path in ["app.js", "index.html", "style.css", "data.json", "logo.svg"] {
        assert_eq!(codec(path), Codec::Zstd, "{path}");
    }
    for path in [
        "icon.png",
        "empty.txt",
        "tiny.js",
        "random.bin",
        "fonts/f.woff2",
    ] {
        assert_eq!(codec(path), Codec::Stored, "{path}");
    }
    assert!(p.get("a").is_none() && p.get("nope").is_none() && p.get("").is_none());
}

#[test]
fn stored_files_are_borrowed_from_the_payload() {
    let bytes = payload();
    let p = Payload::open(&bytes).unwrap();
    let e = p.get("random.bin").unwrap();
    let Cow::Borrowed(content) = p.read(e).unwrap() else {
        panic!("a stored file was copied");
    };
    let at = content.as_ptr() as usize - bytes.as_ptr() as usize;
    assert_eq!(at as u64, e.offset);
    assert!(matches!(
        p.read(p.get("app.js").unwrap()),
        Ok(Cow::Owned(_))
    ));
}

#[test]
fn folders() {
    let bytes = payload();
    let p = Payload::open(&bytes).unwrap();
    for dir in ["", "a", "a/b", "a/b/c", "fonts"] {
        assert!(p.is_dir(dir), "{dir}");
    }
    for not in [
        "a/x.txt",
        "a/b/c/d.txt",
        "nope",
        "a/",
        "/a",
        "a/b/c/d",
        "fonts/f",
    ] {
        assert!(!p.is_dir(not), "{not}");
    }
    let names = |dir: &str| -> Vec<(String, bool)> { p.list(dir) };
    let list = |items: &[(&str, bool)]| -> Vec<(String, bool)> {
        items.iter().map(|&(n, d)| (n.to_string(), d)).collect()
    };
    assert_eq!(
        names(""),
        list(&[
            ("a", true),
            ("a-b.txt", false),
            ("app.js", false),
            ("caf\u{e9} 100%.txt", false),
            ("data.json", false),
            ("empty.txt", false),
            ("fonts", true),
            ("icon.png", false),
            ("index.html", false),
            ("logo.svg", false),
            ("random.bin", false),
            ("style.css", false),
            ("tiny.js", false),
        ])
    );
    assert_eq!(names("a"), list(&[("b", true), ("x.txt", false)]));
    assert_eq!(names("a/b"), list(&[("c", true), ("e.js", false)]));
    assert_eq!(names("a/b/c"), list(&[("d.txt", false)]));
    assert!(names("nope").is_empty() && names("a/x.txt").is_empty());
}

#[test]
fn an_empty_app_round_trips() {
    let bytes = write(Vec::new(), DEFAULT_LEVEL, HOST).unwrap();
    let p = Payload::open(&bytes).unwrap();
    assert!(p.entries().is_empty() && p.list("").is_empty() && p.is_dir(""));
    p.verify_all().unwrap();
}

#[test]
fn the_same_files_in_any_order_give_the_same_bytes() {
    let first = payload();
    let mut shuffled = files();
    shuffled.reverse();
    shuffled.rotate_left(5);
    assert_eq!(write(shuffled, DEFAULT_LEVEL, HOST).unwrap(), first);
    assert_eq!(payload(), first);
    // More files than workers, so that threads really share the work.
    let many: Vec<(String, Vec<u8>)> = (0..64)
        .map(|i| (format!("f/{i:02}.js"), text(i, 300 + 97 * i as usize)))
        .collect();
    let mut reversed = many.clone();
    reversed.reverse();
    assert_eq!(
        write(many, BEST_LEVEL, HOST).unwrap(),
        write(reversed, BEST_LEVEL, HOST).unwrap()
    );
}

#[test]
fn the_layout_is_as_documented() {
    let bytes = write(vec![("a.txt".into(), b"hello".to_vec())], 3, "9.9.9").unwrap();
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    assert_eq!(&bytes[..8], b"APPHOST\0");
    assert_eq!((u32_at(8), u32_at(12)), (1, 0));
    assert_eq!(&bytes[16..23], b"\x05\x009.9.9");
    // 51 bytes of header, then one entry of 60 + 5 + 10 bytes, the check, 2 bytes of padding.
    assert_eq!(
        (u32_at(23), u64_at(27), u64_at(35), u64_at(43)),
        (1, 75, 144, 149)
    );
    assert_eq!(&bytes[51..58], b"\x05\x00a.txt");
    assert_eq!(
        (u64_at(58), bytes[66], u64_at(67), u64_at(75)),
        (5, 0, 144, 5)
    );
    assert_eq!(bytes[83..115], sha256(b"hello"));
    assert_eq!(&bytes[115..126], b"\x0atext/plain");
    assert_eq!(bytes[126..142], index_check(&bytes[..126]));
    assert_eq!(&bytes[142..], b"\0\0hello");
}

#[test]
fn codec_choice() {
    let big_text = text(1, 10_000);
    for (path, content, want) in [
        ("app.js", &big_text, Codec::Zstd),
        ("style.css", &big_text, Codec::Zstd),
        ("index.html", &big_text, Codec::Zstd),
        ("data.json", &big_text, Codec::Zstd),
        ("logo.svg", &big_text, Codec::Zstd),
        ("manual.pdf", &big_text, Codec::Zstd),
        ("favicon.ico", &big_text, Codec::Zstd),
        ("no-extension", &big_text, Codec::Zstd),
        // Already compressed formats are stored whatever their content.
        ("pic.png", &big_text, Codec::Stored),
        ("PIC.JPG", &big_text, Codec::Stored),
        ("f.woff2", &big_text, Codec::Stored),
        ("v.mp4", &big_text, Codec::Stored),
        ("a.tar.gz", &big_text, Codec::Stored),
        ("png", &big_text, Codec::Zstd),
        ("png.d/app.js", &big_text, Codec::Zstd),
        ("tiny.js", &text(1, 255), Codec::Stored),
        ("small.js", &text(1, 256), Codec::Zstd),
        ("random.bin", &noise(1, 10_000), Codec::Stored),
        ("random.js", &noise(1, 10_000), Codec::Stored),
    ] {
        assert_eq!(choose_codec(path, content), want, "{path}");
    }
}

#[test]
fn mime_choice() {
    for (path, want) in [
        ("a.js", "text/javascript"),
        ("a.mjs", "application/javascript"), // as the protocol serves it today
        ("a.css", "text/css"),
        ("a.html", "text/html"),
        ("a.json", "application/json"),
        ("a.svg", "image/svg+xml"),
        ("a.png", "image/png"),
        ("a.wasm", "application/wasm"),
        ("a.rhai", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ] {
        assert_eq!(mime_of(path), want, "{path}");
    }
}

#[test]
fn safe_paths() {
    for ok in [
        "a",
        "a/b/c.js",
        "caf\u{e9}.txt",
        "100%.txt",
        "..a",
        "a..",
        "...",
        "%zz/x",
        "%252e%252e/x",
        ".hidden",
    ] {
        assert!(is_safe_path(ok), "{ok}");
    }
    let long = "a/".repeat(512) + "b";
    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "a/../../b",
        "a//b",
        ".",
        "..",
        "a/.",
        "a/",
        "%2e%2e/x",
        "a/%2E%2e",
        "%2e",
        "a\\b",
        "a\0b",
        "a\nb",
        "a%2fb",
        "a%5cb",
        "a%00b",
        &long,
    ] {
        assert!(!is_safe_path(bad), "{bad:?}");
    }
    assert!(is_safe_path(&"a".repeat(MAX_PATH)) && !is_safe_path(&"a".repeat(MAX_PATH + 1)));
}

#[test]
fn the_writer_refuses_what_the_reader_would() {
    let err = |files: Vec<(&str, &[u8])>| {
        let files = files.into_iter().map(|(p, b)| (p.to_string(), b.to_vec()));
        write(files.collect(), DEFAULT_LEVEL, HOST)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(err(vec![("../x", b"")]), "unsafe path in payload: `../x`");
    assert_eq!(
        err(vec![("a.js", b"1"), ("b.js", b""), ("a.js", b"2")]),
        "duplicate path in payload: `a.js`"
    );
    assert_eq!(
        err(vec![("a", b""), ("a.txt", b""), ("a/b", b"")]),
        "`a` is both a file and a folder"
    );
    let msg = |r: Result<Vec<u8>, FormatError>| r.unwrap_err().to_string();
    assert_eq!(
        msg(write(Vec::new(), DEFAULT_LEVEL, &"9".repeat(65))),
        format!("host version `{}` is longer than 64 bytes", "9".repeat(65))
    );
    assert_eq!(
        msg(write(Vec::new(), 0, HOST)),
        "zstd level 0 is out of range (1 to 22)"
    );
    // Counted before anything else is looked at: empty names and contents cost nothing here.
    let too_many = vec![(String::new(), Vec::new()); MAX_ENTRIES + 1];
    assert_eq!(
        msg(write(too_many, DEFAULT_LEVEL, HOST)),
        "too many files: 1000001 (a payload holds at most 1000000)"
    );
}
