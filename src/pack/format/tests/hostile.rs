//! Payloads made by hand, with a correct header and index hash but entries the writer would
//! never write: the hash proves nothing about intent, so `open` checks everything again.

use super::*;

/// A payload as `files` would be laid out, before the test spoils it.
struct Raw {
    entries: Vec<Entry<'static>>,
    blobs: Vec<Vec<u8>>,
    /// Overrides of the header's entry count and total length.
    count: Option<u32>,
    total: Option<u64>,
    /// Appended to the index.
    junk: Vec<u8>,
}

/// Stored entries for `files` at the offsets the layout gives them, paths taken as they are.
fn raw(files: &[(&str, &[u8])]) -> Raw {
    let entries = files
        .iter()
        .map(|(path, content)| Entry {
            path: path.to_string().into(),
            size: content.len() as u64,
            codec: Codec::Stored,
            offset: 0,
            stored_len: content.len() as u64,
            hash: sha256(content),
            mime: "text/plain".into(),
        })
        .collect();
    let mut r = Raw {
        entries,
        blobs: files.iter().map(|(_, c)| c.to_vec()).collect(),
        count: None,
        total: None,
        junk: Vec::new(),
    };
    r.lay_out();
    r
}

impl Raw {
    fn blobs_offset(&self) -> u64 {
        let index_len: usize = self.entries.iter().map(Entry::index_len).sum();
        let hash_end = Header::size_for(HOST.len()) + index_len + self.junk.len() + INDEX_CHECK_LEN;
        align(hash_end as u64).unwrap()
    }

    /// Offsets as the writer would set them, for the entries as they are now.
    fn lay_out(&mut self) {
        let mut end = self.blobs_offset();
        for e in &mut self.entries {
            e.offset = align(end).unwrap();
            end = e.offset + e.stored_len;
        }
    }

    /// Serialised without any check: blobs go where their entries say, when that fits.
    fn bytes(&self) -> Vec<u8> {
        let mut index = Vec::new();
        for e in &self.entries {
            e.put(&mut index);
        }
        index.extend_from_slice(&self.junk);
        let blobs_offset = self.blobs_offset();
        let ends = self
            .entries
            .iter()
            .map(|e| e.offset.saturating_add(e.stored_len));
        let total = self
            .total
            .unwrap_or_else(|| ends.filter(|&e| e < 1 << 20).fold(blobs_offset, u64::max));
        let mut out = Vec::new();
        Header {
            version: FORMAT_VERSION,
            flags: 0,
            host: HOST.as_bytes(),
            count: self.count.unwrap_or(self.entries.len() as u32),
            index_len: index.len() as u64,
            blobs_offset,
            total,
        }
        .put(&mut out);
        out.extend_from_slice(&index);
        let hash = index_check(&out);
        out.extend_from_slice(&hash);
        out.resize(total.min(1 << 20) as usize, 0);
        for (e, blob) in self.entries.iter().zip(&self.blobs) {
            let at = e.offset as usize;
            let place = out.get_mut(at..at.saturating_add(blob.len()));
            if let Some(place) = place.filter(|_| e.offset >= blobs_offset) {
                place.copy_from_slice(blob);
            }
        }
        out
    }

    fn open_err(&self) -> String {
        Payload::open(&self.bytes()).unwrap_err().to_string()
    }
}

#[test]
fn the_helper_makes_payloads_that_open() {
    let r = raw(&[("a/b.txt", b"hello"), ("c.txt", b"world!")]);
    let bytes = r.bytes();
    let p = Payload::open(&bytes).unwrap();
    p.verify_all().unwrap();
    assert_eq!(p.entries(), r.entries.as_slice());
}

#[test]
fn unsafe_paths() {
    for path in [
        "../x",
        "/etc/passwd",
        "a/../../b",
        "a//b",
        ".",
        "..",
        "%2e%2e/x",
        "a/%2E%2E",
        "a\\b",
        "a\0b",
        "a/",
        "",
    ] {
        assert_eq!(
            raw(&[(path, b"x")]).open_err(),
            format!("unsafe path in payload: `{path}`"),
            "{path:?}"
        );
    }
}

#[test]
fn duplicate_unsorted_and_file_and_folder() {
    let dup = raw(&[("a.txt", b"1"), ("a.txt", b"2")]);
    assert_eq!(dup.open_err(), "duplicate path in payload: `a.txt`");
    let unsorted = raw(&[("b.txt", b"1"), ("a.txt", b"2")]);
    assert_eq!(
        unsorted.open_err(),
        "the payload index is corrupt: it is not sorted: `b.txt` comes before `a.txt`"
    );
    let both = raw(&[("a", b"1"), ("a.txt", b"2"), ("a/b", b"3")]);
    assert_eq!(both.open_err(), "`a` is both a file and a folder");
}

#[test]
fn blobs_out_of_place() {
    let corrupt = |r: Raw, want: &str| {
        assert_eq!(
            r.open_err(),
            format!("the payload index is corrupt: {want}")
        );
    };
    let two = || raw(&[("a.txt", b"hello"), ("b.txt", b"world")]);
    let start = two().entries[0].offset;

    let mut r = two();
    r.entries[0].offset = 0;
    let want =
        format!("`a.txt`: its blob at 0 overlaps the header and index (which end at {start})");
    corrupt(r, &want);

    let mut r = two();
    r.entries[1].offset = 40;
    let want =
        format!("`b.txt`: its blob at 40 overlaps the header and index (which end at {start})");
    corrupt(r, &want);

    // Overlapping its neighbour, or leaving a gap: not where the layout puts it.
    let mut r = two();
    r.entries[1].offset = start;
    let want = format!(
        "`b.txt`: its blob is at {start}, where the layout puts it at {}",
        start + 16
    );
    corrupt(r, &want);

    let mut r = two();
    r.entries[1].offset = u64::MAX - 2;
    r.total = Some(start + 21);
    let want = format!(
        "`b.txt`: its blob is at {}, where the layout puts it at {}",
        u64::MAX - 2,
        start + 16
    );
    corrupt(r, &want);

    let mut r = two();
    r.entries[1].size = 1 << 20;
    r.entries[1].stored_len = 1 << 20;
    r.total = Some(start + 21);
    let want = format!(
        "`b.txt`: its blob (1048576 bytes at {}) runs past the end of the payload ({} bytes)",
        start + 16,
        start + 21
    );
    corrupt(r, &want);

    let mut r = two();
    r.entries[1].codec = Codec::Zstd;
    r.entries[1].stored_len = u64::MAX;
    let want = format!(
        "`b.txt`: its blob ({} bytes at {}) runs past the end",
        u64::MAX,
        start + 16
    );
    assert!(r.open_err().contains(&want), "{}", r.open_err());

    // A total beyond the last blob: bytes nobody owns.
    let mut r = two();
    r.total = Some(start + 64);
    corrupt(
        r,
        &format!(
            "its last blob ends at {}, but the payload is {} bytes",
            start + 21,
            start + 64
        ),
    );
}

#[test]
fn sizes_that_lie() {
    let mut r = raw(&[("a.txt", b"hello")]);
    r.entries[0].size = 6;
    let want = "the payload index is corrupt: `a.txt`: stored as 5 bytes, but its size is 6";
    assert_eq!(r.open_err(), want);
    r.entries[0].size = 5 << 30;
    r.entries[0].stored_len = 5 << 30;
    assert_eq!(
        r.open_err(),
        "the payload index is corrupt: `a.txt`: its size 5368709120 is over 4 GiB"
    );

    // A zstd file: a size far beyond what the frame could hold is refused by `open`, a smaller
    // lie by `read`, before anything is allocated.
    let content = "hello world ".repeat(100).into_bytes();
    let frame = zstd::bulk::compress(&content, 3).unwrap();
    let zstd_entry = |size: u64| {
        let mut r = raw(&[("a.txt", &frame)]);
        r.entries[0].codec = Codec::Zstd;
        r.entries[0].size = size;
        r.entries[0].hash = sha256(&content);
        r
    };
    let bytes = zstd_entry(1200).bytes();
    let p = Payload::open(&bytes).unwrap();
    assert_eq!(
        p.read(&p.entries()[0]).unwrap().as_ref(),
        content.as_slice()
    );
    for (size, want) in [
        (
            1201,
            "`a.txt`: decompresses to 1200 bytes, but the index says 1201",
        ),
        (
            1199,
            "`a.txt`: decompresses to 1200 bytes, but the index says 1199",
        ),
        (
            0,
            "`a.txt`: decompresses to 1200 bytes, but the index says 0",
        ),
    ] {
        let bytes = zstd_entry(size).bytes();
        let p = Payload::open(&bytes).unwrap();
        assert_eq!(p.read(&p.entries()[0]).unwrap_err().to_string(), want);
        assert!(p.verify_all().is_err());
    }
    let huge = 4 << 30;
    let stored_len = frame.len();
    assert_eq!(
        zstd_entry(huge).open_err(),
        format!(
            "the payload index is corrupt: `a.txt`: {huge} bytes cannot come from {stored_len} \
             compressed bytes"
        )
    );
    let mut not_zstd = raw(&[("a.txt", b"this is not a zstd frame")]);
    not_zstd.entries[0].codec = Codec::Zstd;
    let bytes = not_zstd.bytes();
    let p = Payload::open(&bytes).unwrap();
    assert_eq!(
        p.read(&p.entries()[0]).unwrap_err().to_string(),
        "`a.txt`: not a zstd frame"
    );
}

#[test]
fn counts_and_strings() {
    let mut r = raw(&[("a.txt", b"hello")]);
    r.count = Some(u32::MAX);
    let index_len = r.entries[0].index_len();
    assert_eq!(
        r.open_err(),
        format!("the payload index is corrupt: it claims 4294967295 entries in {index_len} bytes")
    );
    let mut r = raw(&[("a.txt", b"hello")]);
    r.count = Some(0);
    r.total = Some(r.entries[0].offset);
    assert_eq!(
        r.open_err(),
        format!("the payload index is corrupt: {index_len} bytes after its last entry")
    );
    let mut r = raw(&[("a.txt", b"hello")]);
    r.junk = vec![0; 3];
    r.lay_out();
    assert_eq!(
        r.open_err(),
        "the payload index is corrupt: 3 bytes after its last entry"
    );
    let mut r = raw(&[("a.txt", b"hello")]);
    r.entries[0].mime = "t\u{e9}xt".into();
    r.lay_out();
    assert_eq!(
        r.open_err(),
        "the payload index is corrupt: `a.txt`: its MIME type is not ASCII text"
    );
}

#[test]
fn unknown_codec() {
    let r = raw(&[("a.txt", b"hello")]);
    let mut bytes = r.bytes();
    let at = Header::size_for(HOST.len()) + 2 + "a.txt".len() + 8;
    bytes[at] = 7;
    corrupt::rehash(&mut bytes);
    assert_eq!(
        Payload::open(&bytes).unwrap_err().to_string(),
        "the payload index is corrupt: `a.txt`: unknown codec 7"
    );
}

#[test]
fn an_entry_of_another_payload_reads_as_an_error() {
    let big = payload();
    let big = Payload::open(&big).unwrap();
    let small = raw(&[("a.txt", b"hello")]).bytes();
    let small = Payload::open(&small).unwrap();
    for e in big.entries().iter().filter(|e| e.size > 5) {
        assert!(small.read(e).is_err(), "{}", e.path);
    }
}
