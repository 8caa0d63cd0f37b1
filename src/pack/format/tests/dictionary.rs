//! The zstd dictionary: trained when an app has enough small text files, used for them alone,
//! kept out of the app's own names, and refused when damaged or missing.

use super::*;

/// Forty small text files (about 80 KiB) that share boilerplate zstd cannot shrink alone, as
/// an app's modules share a licence header and the same imports, and one large file.
fn many_small() -> Vec<(String, Vec<u8>)> {
    let preamble = noise(99, 1000);
    let mut files: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| {
            let mut content = preamble.clone();
            content.extend(text(100 + i, 1000));
            (format!("web/mod{i:02}.js"), content)
        })
        .collect();
    files.push(("web/big.js".into(), text(7, 200 << 10)));
    files.push(("web/icon.png".into(), noise(3, 4000)));
    files
}

#[test]
fn small_text_files_share_a_dictionary() {
    let files = many_small();
    let bytes = write(files.clone(), DEFAULT_LEVEL, HOST).unwrap();
    let p = Payload::open(&bytes).unwrap();
    let dict = p.get(DICTIONARY).expect("a dictionary");
    assert_eq!(dict.codec, Codec::Stored);
    for (path, content) in &files {
        let e = p.get(path).unwrap();
        let want = match path.as_str() {
            "web/big.js" => Codec::Zstd,
            "web/icon.png" => Codec::Stored,
            _ => Codec::ZstdDict,
        };
        assert_eq!(e.codec, want, "{path}");
        assert_eq!(p.read(e).unwrap(), content.as_slice(), "{path}");
    }
    p.verify_all().unwrap();
    // Smaller than without one, dictionary included.
    let plain: usize = files
        .iter()
        .filter(|(path, _)| path.starts_with("web/mod"))
        .map(|(path, content)| {
            let e = p.get(path).unwrap();
            let alone = zstd::bulk::compress(content, DEFAULT_LEVEL).unwrap().len();
            alone - usize::try_from(e.stored_len).unwrap()
        })
        .sum();
    assert!(
        plain > usize::try_from(dict.size).unwrap(),
        "saved {plain} bytes"
    );
    // Reproducible, in any order.
    let mut shuffled = files;
    shuffled.reverse();
    assert!(write(shuffled, DEFAULT_LEVEL, HOST).unwrap() == bytes);
}

#[test]
fn a_dictionary_that_does_not_pay_is_left_out() {
    // Small files with nothing in common beyond a few words save less than 16 KiB with one.
    let files: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| (format!("m{i:02}.js"), text(200 + i, 2500)))
        .collect();
    let bytes = write(files, DEFAULT_LEVEL, HOST).unwrap();
    let p = Payload::open(&bytes).unwrap();
    assert!(p.get(DICTIONARY).is_none());
    assert!(p.entries().iter().all(|e| e.codec != Codec::ZstdDict));
}

#[test]
fn the_payload_keeps_its_own_names() {
    let err = write(
        vec![(".apphost/zstd-dictionary".into(), b"x".to_vec())],
        DEFAULT_LEVEL,
        HOST,
    )
    .unwrap_err();
    assert!(matches!(err, FormatError::Reserved(_)), "{err}");
    assert!(is_reserved(".apphost") && is_reserved(".apphost/x"));
    assert!(!is_reserved(".apphostx") && !is_reserved("web/.apphost/x"));
}

#[test]
fn a_damaged_dictionary_refuses_the_files_that_need_it() {
    let mut bytes = write(many_small(), DEFAULT_LEVEL, HOST).unwrap();
    let at = Payload::open(&bytes)
        .unwrap()
        .get(DICTIONARY)
        .unwrap()
        .offset;
    bytes[usize::try_from(at).unwrap() + 100] ^= 0x40;
    let p = Payload::open(&bytes).unwrap();
    let err = p
        .read(p.get("web/mod03.js").unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("the payload's zstd dictionary"), "{err}");
    // Files that do not need it are served.
    let big = p.get("web/big.js").unwrap();
    assert_eq!(p.read(big).unwrap().len() as u64, big.size);
    assert!(p.verify_all().is_err());
}

#[test]
fn files_that_need_a_missing_dictionary_are_refused_at_open() {
    let bytes = write(many_small(), DEFAULT_LEVEL, HOST).unwrap();
    let p = Payload::open(&bytes).unwrap();
    // The dictionary's entry renamed (same length, sorted the same): a hand-made payload.
    let mut bad = bytes.clone();
    let at = memchr::memmem::find(&bad, DICTIONARY.as_bytes()).unwrap();
    bad[at + 1] = b'b'; // ".bpphost/…": still sorted first, no longer the dictionary
    corrupt::rehash(&mut bad);
    drop(p);
    let err = Payload::open(&bad).unwrap_err().to_string();
    assert!(err.contains("use the zstd dictionary"), "{err}");
}
