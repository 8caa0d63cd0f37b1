//! `embed` and `find_in_file` on bytes: round trips, refusals, and hostile input.

use proptest::prelude::*;

use super::*;

#[test]
fn round_trip_and_refusals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::fs::read(plain_host(dir.path())).expect("read host");
    assert!(matches!(find_in_file(&host), Ok(None)), "a plain host");
    for len in [0, 1, 4096, 100_003] {
        let data = payload(len);
        let packaged = embed(&host, &data).expect("embed");
        // Only the file header changes (where the tables are, how many entries they have).
        assert!(
            packaged[64..host.len()] == host[64..],
            "libsui keeps the rest"
        );
        assert_eq!(
            find_in_file(&packaged).expect("find"),
            Some(data.as_slice())
        );

        let again = embed(&packaged, &data).expect_err("embedding twice");
        assert!(matches!(again, EmbedError::AlreadyPackaged), "{again:?}");
        assert_eq!(
            again.to_string(),
            "already a packaged app; use a plain apphost binary as --host"
        );
    }
}

#[test]
fn non_elf_hosts_are_refused() {
    let mut elf32 = b"\x7fELF\x01\x01\x01".to_vec();
    elf32.resize(64, 0);
    let mut big_endian = b"\x7fELF\x02\x02\x01".to_vec();
    big_endian.resize(64, 0);
    let table: [(&[u8], &str); 5] = [
        (b"", "not an ELF file"),
        (b"#!/bin/sh\necho hi\n", "not an ELF file"),
        (b"MZ\x90\x00", "not an ELF file"),
        (
            &elf32,
            "only 64-bit little-endian ELF files are supported; this one is 32-bit",
        ),
        (
            &big_endian,
            "only 64-bit little-endian ELF files are supported; this one is big-endian",
        ),
    ];
    for (host, message) in table {
        let err = embed(host, b"APPHOST\0").expect_err("refused");
        assert_eq!(err.to_string(), message);
        let err = find_in_file(host).expect_err("refused");
        assert_eq!(err.to_string(), message);
    }
}

/// Cuts and flips a packaged file at the places a parser trusts: the file header, the program
/// header table, the note's header and the payload. Nothing may panic, and a file cut inside
/// the note says it is truncated.
#[test]
fn hostile_packaged_bytes_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::fs::read(plain_host(dir.path())).expect("read host");
    let data = payload(10_003);
    let packaged = embed(&host, &data).expect("embed");
    let phdrs = elf::program_headers(&packaged).expect("phdrs");
    let phoff = elf::phoff(&packaged).expect("phoff") as usize;
    let note = phdrs.last().expect("the note is last");
    assert_eq!(note.p_type, elf::PT_NOTE);
    let (note_start, note_end) = (note.offset as usize, (note.offset + note.filesz) as usize);

    for cut in [
        0,
        3,
        63,
        64,
        phoff,
        phoff + 100,
        note_start,
        note_start + 13,
        note_end - 1,
    ] {
        let result = find_in_file(&packaged[..cut]);
        if cut >= note_start {
            let message = result.expect_err("cut").to_string();
            let want = format!("truncated ({cut} of {note_end} bytes)");
            assert!(message.contains(&want), "cut at {cut}: {message}");
        }
    }
    let phdr_field = |entry: usize, field: usize| phoff + entry * 56 + field;
    let last = phdrs.len() - 1;
    let spots = [
        4,
        5,
        0x20,
        0x21,
        0x27,
        0x36,
        0x38,
        0x39,
        phdr_field(last, 0),
        phdr_field(last, 8),
        phdr_field(last, 15),
        phdr_field(last, 32),
        phdr_field(last, 39),
        phdr_field(last, 48),
        phdr_field(last - 1, 16),
        phdr_field(last - 1, 40),
        note_start,
        note_start + 3,
        note_start + 4,
        note_start + 7,
        note_start + 8,
        note_start + 16,
        note_start + 17,
        note_start + 20,
        note_end - 1,
    ];
    for at in spots {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut bytes = packaged.clone();
            bytes[at] = value;
            let _ = find_in_file(&bytes);
            let _ = embed(&bytes, b"x");
        }
    }
}

/// A minimal ELF64 little-endian file: the header, then `phdrs` as given, then `tail` bytes.
fn synthetic_elf(header: [u64; 4], phdrs: &[[u64; 6]], tail: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x7fELF\x02\x01\x01".to_vec();
    bytes.resize(64, 0);
    bytes[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
    bytes[0x28..0x30].copy_from_slice(&header[0].to_le_bytes()); // e_shoff
    bytes[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
    bytes[0x38..0x3a].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
    bytes[0x3a..0x3c].copy_from_slice(&(header[1] as u16).to_le_bytes()); // e_shentsize
    bytes[0x3c..0x3e].copy_from_slice(&(header[2] as u16).to_le_bytes()); // e_shnum
    bytes[0x3e..0x40].copy_from_slice(&(header[3] as u16).to_le_bytes()); // e_shstrndx
    for [kind, offset, vaddr, filesz, memsz, align] in phdrs {
        let mut entry = [0u8; 56];
        entry[0..4].copy_from_slice(&(*kind as u32).to_le_bytes());
        for (at, v) in [
            (8, offset),
            (16, vaddr),
            (32, filesz),
            (40, memsz),
            (48, align),
        ] {
            entry[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&entry);
    }
    bytes.extend_from_slice(tail);
    bytes
}

fn field() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..0x3000,
        Just(0x1000),
        any::<u64>(),
        (0u64..64).prop_map(|s| 1u64 << s)
    ]
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = find_in_file(&bytes);
        let _ = embed(&bytes, b"APPHOST\0");
    }

    /// Headers that parse, with hostile values in every field libsui and the reader use.
    #[test]
    fn hostile_headers_never_panic(
        header in (field(), 0u64..80, 0u64..8, 0u64..8),
        phdrs in prop::collection::vec(
            ((0u64..8), field(), field(), field(), field(), field()), 0..6),
        tail in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let phdrs: Vec<_> = phdrs.into_iter().map(|(a, b, c, d, e, f)| [a, b, c, d, e, f]).collect();
        let bytes = synthetic_elf([header.0, header.1, header.2, header.3], &phdrs, &tail);
        let _ = find_in_file(&bytes);
        if let Ok(packaged) = embed(&bytes, b"APPHOST\0 payload") {
            prop_assert_eq!(find_in_file(&packaged).ok().flatten(), Some(&b"APPHOST\0 payload"[..]));
        }
    }
}
