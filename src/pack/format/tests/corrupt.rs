//! Damaged payloads: every damage is refused with a message, never a panic.

use proptest::prelude::*;

use super::*;

/// Offset of the first blob, from the header.
fn blobs_offset(bytes: &[u8]) -> usize {
    let p = Payload::open(bytes).unwrap();
    p.entries()[0].offset as usize
}

/// Recomputes the check over header and index after a test changed them on purpose.
pub(super) fn rehash(bytes: &mut [u8]) {
    let host_len = usize::from(u16::from_le_bytes([bytes[16], bytes[17]]));
    let header_len = Header::size_for(host_len);
    let at = header_len - 24; // the index length, before the blobs offset and total
    let index_len = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let end = header_len + index_len;
    let check = index_check(&bytes[..end]);
    bytes[end..end + INDEX_CHECK_LEN].copy_from_slice(&check);
}

#[test]
fn any_changed_byte_before_the_blobs_is_refused() {
    let bytes = payload();
    for at in 0..blobs_offset(&bytes) {
        for mask in [0x01, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= mask;
            let err = Payload::open(&bad).unwrap_err();
            assert!(!err.to_string().is_empty(), "byte {at}");
        }
    }
}

#[test]
fn a_changed_blob_is_refused_when_read() {
    let bytes = payload();
    let good = Payload::open(&bytes).unwrap();
    let mut missed = 0;
    for damaged in good.entries().iter().filter(|e| e.stored_len > 0) {
        // The middle of the blob, and for zstd also its first byte (the frame's magic).
        let mut spots = vec![damaged.offset + damaged.stored_len / 2];
        if damaged.codec == Codec::Zstd {
            spots.push(damaged.offset);
        }
        for at in spots {
            let mut bad = bytes.clone();
            bad[at as usize] ^= 0x20;
            let p = Payload::open(&bad).unwrap();
            for e in p.entries() {
                let read = p.read(e);
                if e.path != damaged.path {
                    read.unwrap();
                    continue;
                }
                match read {
                    Err(err) => {
                        let err = err.to_string();
                        assert!(err.starts_with(&format!("`{}`: ", e.path)), "{err}");
                        assert!(p.verify_all().is_err());
                    }
                    // A zstd frame can carry bits its decoder never looks at (in an entropy
                    // table's description): a change there still gives the right content,
                    // which is all the hash promises. A stored blob is its content.
                    Ok(content) => {
                        assert_eq!(e.codec, Codec::Zstd, "{}", e.path);
                        let want = good.read(damaged).unwrap();
                        assert_eq!(content, want, "{}", e.path);
                        missed += 1;
                    }
                }
            }
        }
    }
    // The data is fixed, and today one of these changes lands in such bits. More would mean
    // blobs are not what is being read.
    assert!(missed <= 1, "{missed} changed blobs read back unchanged");
    let stored = good.get("random.bin").unwrap();
    let mut bad = bytes.clone();
    bad[stored.offset as usize] ^= 1;
    let p = Payload::open(&bad).unwrap();
    assert_eq!(
        p.read(stored).unwrap_err().to_string(),
        "`random.bin`: content does not match its hash"
    );
}

#[test]
fn changed_padding_between_blobs_is_found_by_verify_all() {
    let bytes = payload();
    let p = Payload::open(&bytes).unwrap();
    let (before, gap) = p
        .entries()
        .windows(2)
        .find_map(|w| {
            let end = w[0].offset + w[0].stored_len;
            (end < w[1].offset).then(|| (w[0].path.to_string(), end as usize))
        })
        .unwrap();
    let mut bad = bytes.clone();
    bad[gap] = 1;
    let p = Payload::open(&bad).unwrap();
    for e in p.entries() {
        p.read(e).unwrap();
    }
    assert_eq!(
        p.verify_all().unwrap_err().to_string(),
        format!("the payload has bytes other than zero in the padding after `{before}`")
    );
}

#[test]
fn every_prefix_is_truncated() {
    let files = vec![
        ("index.html".to_string(), text(1, 600)),
        ("a/b.png".to_string(), noise(2, 100)),
        ("a/c.js".to_string(), text(3, 400)),
    ];
    let bytes = write(files, DEFAULT_LEVEL, HOST).unwrap();
    for len in 0..bytes.len() {
        let err = Payload::open(&bytes[..len]).unwrap_err().to_string();
        assert!(
            err.starts_with("the payload is truncated: "),
            "{len}: {err}"
        );
    }
    assert_eq!(
        Payload::open(&bytes[..200]).unwrap_err().to_string(),
        format!("the payload is truncated: 200 of {} bytes", bytes.len())
    );
    assert_eq!(
        Payload::open(&bytes[..20]).unwrap_err().to_string(),
        "the payload is truncated: 20 bytes, shorter than its header"
    );
}

#[test]
fn what_follows_the_payload_is_ignored() {
    let mut bytes = payload();
    let len = bytes.len();
    bytes.extend_from_slice(b"whatever the executable has after it");
    let p = Payload::open(&bytes).unwrap();
    assert_eq!(p.bytes().len(), len);
    p.verify_all().unwrap();
}

#[test]
fn versions() {
    let mut bytes = payload();
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    let newer = "payload format version 7 is newer than this host reads (1); it was packaged \
                 with apphost 1.2.3: use apphost 1.2.3 or newer";
    // Refused before the hash is checked: a newer format may hash differently.
    assert_eq!(Payload::open(&bytes).unwrap_err().to_string(), newer);
    rehash(&mut bytes);
    assert_eq!(Payload::open(&bytes).unwrap_err().to_string(), newer);
    // A newer payload cut short still names its writer if it can, and never fails worse.
    assert_eq!(
        Payload::open(&bytes[..14]).unwrap_err().to_string(),
        "payload format version 7 is newer than this host reads (1); use a newer apphost"
    );
    bytes[8..12].copy_from_slice(&0u32.to_le_bytes());
    rehash(&mut bytes);
    assert_eq!(
        Payload::open(&bytes).unwrap_err().to_string(),
        "payload format version 0 is not one this host reads (1)"
    );
}

#[test]
fn not_a_payload() {
    for bytes in [&b"\x7fELF\x02\x01\x01\0\0\0\0\0"[..], b"APPHOSTX", b"hello"] {
        assert_eq!(
            Payload::open(bytes).unwrap_err().to_string(),
            "not an apphost payload (it does not start with the `APPHOST` magic)"
        );
    }
    assert!(matches!(
        Payload::open(b"APPH"),
        Err(FormatError::TooShort { have: 4 })
    ));
}

#[test]
fn unknown_flags_are_refused() {
    let mut bytes = payload();
    bytes[12] = 2;
    rehash(&mut bytes);
    assert_eq!(
        Payload::open(&bytes).unwrap_err().to_string(),
        "the payload header is corrupt: unknown flags 0x2"
    );
}

/// Whatever `open` accepts can be listed, read and verified without a panic.
fn exercise(bytes: &[u8]) {
    if let Ok(p) = Payload::open(bytes) {
        let _ = p.verify_all();
        let _ = p.list("");
        for e in p.entries() {
            let _ = p.read(e);
            let _ = p.is_dir(&e.path);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&bytes);
        // And behind a plausible start, to get past the magic and version.
        let mut framed = MAGIC.to_vec();
        framed.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        framed.extend_from_slice(&bytes);
        exercise(&framed);
    }

    #[test]
    fn mutated_payloads_never_panic(
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        rehashed in any::<bool>(),
        truncated in any::<bool>(),
    ) {
        let mut bytes = small();
        for (at, value) in changes {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if rehashed && Payload::open(&bytes).is_err() {
            // Reach the index checks behind the hash, when the header still parses.
            if bytes.len() > 60 && bytes[16] == HOST.len() as u8 && bytes[17] == 0 {
                let header_len = Header::size_for(HOST.len());
                let at = header_len - 24;
                let index_len = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
                let hash_end = (index_len as usize).checked_add(header_len + 32);
                if hash_end.is_some_and(|end| end <= bytes.len()) {
                    rehash(&mut bytes);
                }
            }
        }
        if truncated {
            bytes.truncate(cut.index(bytes.len()));
        }
        exercise(&bytes);
    }
}

/// A payload with both codecs, small enough for many proptest cases.
fn small() -> Vec<u8> {
    let files = vec![
        ("a/b.txt".to_string(), text(1, 700)),
        ("a/c.bin".to_string(), noise(2, 300)),
        ("d.js".to_string(), text(3, 20)),
    ];
    write(files, DEFAULT_LEVEL, HOST).unwrap()
}
