//! `own_payload` in real processes: packaged copies of this test binary, plain, truncated,
//! under an explicit dynamic loader, and after strip tools.

use super::*;

#[test]
fn a_packaged_copy_finds_exactly_its_payload_and_a_plain_host_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = plain_host(dir.path());
    assert_eq!(probe_in(&host), "none");
    let data = payload(70_001);
    let app = package(&host, "app", &data);
    assert_eq!(probe_in(&app), format!("ok {}", digest(&data)));
}

/// Under `ld.so ./app`, /proc/self/exe is ld.so: the payload must still be found (and checked).
#[test]
fn a_packaged_copy_under_an_explicit_loader_finds_its_payload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = plain_host(dir.path());
    let data = payload(5_000);
    let app = package(&host, "app", &data);
    let bytes = std::fs::read(&app).expect("read");
    let interp = elf::program_headers(&bytes)
        .expect("phdrs")
        .into_iter()
        .find(|p| p.p_type == 3) // PT_INTERP
        .expect("PT_INTERP");
    let interp = interp.file_bytes(&bytes).expect("interp");
    let loader = PathBuf::from(std::str::from_utf8(&interp[..interp.len() - 1]).expect("utf8"));
    for (exe, want) in [
        (&app, format!("ok {}", digest(&data))),
        (&host, "none".into()),
    ] {
        let out = run_probe(exe, Some(&loader)).expect("spawn the loader");
        assert_eq!(
            probe_result(&out),
            want,
            "{} under {}",
            exe.display(),
            loader.display()
        );
    }
}

/// Cuts one packaged copy shorter and shorter and runs it each time. From the note's start on,
/// the probe must say "truncated" (and never die of SIGBUS); before it, what happens is recorded
/// (the kernel cannot read the program headers and refuses the file).
#[test]
fn a_truncated_copy_says_so_and_never_dies_of_a_signal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = plain_host(dir.path());
    let host_len = std::fs::metadata(&host).expect("stat").len();
    let data = payload(20_003); // 13 bytes of name + 20,003: the note needs no padding
    let app = package(&host, "app", &data);
    let bytes = std::fs::read(&app).expect("read");
    let phoff = elf::phoff(&bytes).expect("phoff");
    let note = *elf::program_headers(&bytes)
        .expect("phdrs")
        .last()
        .expect("note");
    let note_end = note.offset + note.filesz;
    let payload_start = note.offset + 12 + 4 + 2 + SECTION.len() as u64;
    assert_eq!(payload_start + data.len() as u64, note_end);

    let page_inside = (payload_start & !0xfff) + 0x2000;
    let cuts = [
        ("whole note, no section headers", note_end, true),
        ("last payload byte missing", note_end - 1, true),
        ("page boundary in the payload", page_inside, true),
        (
            "middle of the payload",
            payload_start + data.len() as u64 / 2,
            true,
        ),
        ("first payload byte only", payload_start + 1, true),
        ("note header only", payload_start, true),
        ("inside the note header", note.offset + 8, true),
        ("program header table only", note.offset, true),
        ("inside the program header table", phoff + 100, false),
        ("before the program header table", phoff, false),
        ("the original host's length", host_len, false),
    ];
    drop(bytes);
    for (what, cut, runs) in cuts {
        // Closed again before running it: a file open for writing cannot be executed.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&app)
            .expect("open");
        file.set_len(cut).expect("truncate");
        drop(file);
        let outcome = match run_probe(&app, None) {
            Ok(out) => probe_result(&out),
            Err(e) => format!("spawn refused: {e}"),
        };
        println!("cut at {cut:>9} ({what}): {outcome}");
        if cut == note_end {
            assert_eq!(outcome, format!("ok {}", digest(&data)));
        } else if runs {
            let want = format!(
                "err this app's executable is truncated ({cut} of {note_end} bytes): copy it again"
            );
            assert_eq!(outcome, want, "cut at {cut} ({what})");
        } else {
            assert!(
                outcome.starts_with("spawn refused"),
                "cut at {cut} ({what}): {outcome}"
            );
        }
    }
}

/// A payload removed with libsui's program header layout left behind is reported as missing,
/// not taken for a plain host. Made here by turning the note's program header into PT_NULL,
/// which is what `objcopy --remove-section .note.sui` left on some hosts (see [`strip_tools`]).
#[test]
fn a_removed_payload_with_traces_left_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = plain_host(dir.path());
    let app = package(&host, "app", &payload(1_000));
    let mut bytes = std::fs::read(&app).expect("read");
    let phoff = elf::phoff(&bytes).expect("phoff") as usize;
    let last = elf::program_headers(&bytes).expect("phdrs").len() - 1;
    let entry = phoff + last * 56;
    assert_eq!(bytes[entry..entry + 4], elf::PT_NOTE.to_le_bytes());
    bytes[entry..entry + 4].copy_from_slice(&0u32.to_le_bytes());
    write_exe(&app, &bytes);
    let missing = "this is a packaged apphost app but its payload is missing (was the file \
                   stripped?); package it again";
    let err = find_in_file(&bytes).expect_err("missing");
    assert_eq!(err.to_string(), missing);
    assert_eq!(probe_in(&app), format!("err {missing}"));
}

/// What each strip tool does to a packaged app. The outcome depends on the host's layout (GNU
/// binutils rewrites libsui's segment, and on some hosts the result crashes), so what is
/// asserted is that `find_in_file` (for `--verify`) agrees with what running the file shows,
/// and that no tool leaves an app that silently runs as a plain host. The table is printed:
/// run with `--nocapture` to see it.
#[test]
fn strip_tools() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = plain_host(dir.path());
    let data = payload(30_003);
    let app = package(&host, "app", &data);
    let ok = format!("ok {}", digest(&data));
    let missing = "err this is a packaged apphost app but its payload is missing \
                   (was the file stripped?); package it again";
    // (`eu-strip --remove-section=.note.sui` refuses: "Cannot remove allocated section".)
    let commands: [&[&str]; 8] = [
        &["strip"],
        &["strip", "--strip-all"],
        &["strip", "--strip-debug"],
        &["objcopy", "--strip-all"],
        &["objcopy", "--remove-section", ".note.sui"],
        &["strip", "--remove-section=.note.sui"],
        &["objcopy", "--remove-section", ".sui.phdrs"],
        &["eu-strip"],
    ];
    let mut failures = Vec::new();
    for (i, command) in commands.into_iter().enumerate() {
        let stripped = dir.path().join(format!("stripped-{i}"));
        std::fs::copy(&app, &stripped).expect("copy");
        let mut args = command.to_vec();
        args.push(path_str(&stripped));
        tool(&args);
        let bytes = std::fs::read(&stripped).expect("read");
        let file = find_in_file(&bytes);
        let run = match spawn_probe(&stripped, None) {
            Err(e) => format!("refused: {e}"),
            Ok(out) => match out.status.signal() {
                Some(signal) => format!("killed by signal {signal}"),
                None => probe_result(&out),
            },
        };
        let consistent = match &file {
            Ok(Some(found)) => *found == data.as_slice() && run == ok,
            Err(EmbedError::PayloadMissing) => run == missing,
            Err(EmbedError::Damaged(_)) => run.starts_with("killed") || run.starts_with("refused"),
            _ => false,
        };
        let file = match file {
            Ok(Some(_)) => "payload".to_string(),
            other => format!("{other:?}"),
        };
        println!("{command:?}: file: {file}; running it: {run}");
        if !consistent || (command[0] == "eu-strip" && command.len() == 1 && run != ok) {
            failures.push(format!("{command:?}: file: {file}; running it: {run}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
