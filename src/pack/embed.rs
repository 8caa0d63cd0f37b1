//! Puts an app's payload into a copy of the apphost executable, and finds it again.
//!
//! The payload travels as an ELF note written by libsui: libsui keeps every original byte and
//! appends a new program header table, a read-only `PT_LOAD` mapping it, a `PT_NOTE` for the
//! note, and (when the host has section headers) a `.sui.phdrs` and an allocated `.note.sui`
//! section so `strip` keeps it. At run time the note is already mapped, so the payload costs no
//! read; but a mapping that runs past the end of its file raises SIGBUS when touched, so
//! [`own_payload`] checks the file behind the mapping is long enough before handing out a byte.
//!
//! This module knows nothing of the payload's format: it stores and returns opaque bytes.

mod elf;
mod maps;
mod running;

pub use elf::ElfError;

/// The name of the libsui section (the note's descriptor name) that carries the payload.
pub const SECTION: &str = "apphost-app";

/// libsui writes the note's descriptor size as a `u32`, which holds the section name as well.
const MAX_PAYLOAD: usize = u32::MAX as usize - 64;

/// libsui pads the file up to where the new segment may start in memory; a host whose segments
/// reach far past its end (a huge `.bss`, or hostile headers) would make that padding huge.
const MAX_PADDING: u64 = 16 << 20;

/// Everything embedding or finding a payload can report; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("{0}")]
    Elf(#[from] ElfError),
    #[error("already a packaged app; use a plain apphost binary as --host")]
    AlreadyPackaged,
    #[error("is a packaged app whose payload was removed; use a plain apphost binary as --host")]
    StrippedPackage,
    #[error(
        "already carries data embedded by another tool (section `{section}`); use a plain \
         apphost binary as --host"
    )]
    ForeignSection { section: String },
    #[error("its segments reach {padding} bytes past the end of the file, which libsui would pad")]
    HugeGap { padding: u64 },
    #[error("the payload is {len} bytes; an ELF note holds at most {MAX_PAYLOAD}")]
    PayloadTooLarge { len: usize },
    #[error("libsui could not add the payload: {0}")]
    Libsui(String),
    #[error("libsui wrote a file whose payload does not read back; this is a bug in apphost")]
    ReadBack,
    #[error("this app's executable is truncated ({have} of {need} bytes): copy it again")]
    Truncated { have: u64, need: u64 },
    #[error(
        "this is a packaged apphost app but its payload is missing (was the file stripped?); \
         package it again"
    )]
    PayloadMissing,
    #[error(
        "this packaged app's program headers were rewritten (was the file stripped?), so it \
         cannot run: {0}; package it again"
    )]
    Damaged(String),
    #[error(
        "this app's executable {path} was deleted or replaced after it started: start it again"
    )]
    Replaced { path: String },
    #[error("cannot check this app's executable: {0}")]
    Unverifiable(String),
}

/// A copy of `host` (an ELF apphost binary) carrying `payload`. Refuses a host that already
/// carries a payload, or carried one before a strip removed it, and a non-ELF host.
pub fn embed(host: &[u8], payload: &[u8]) -> Result<Vec<u8>, EmbedError> {
    match carried(host)? {
        Carried::Nothing => {}
        Carried::Ours(_) => return Err(EmbedError::AlreadyPackaged),
        Carried::Foreign(section) => return Err(EmbedError::ForeignSection { section }),
        Carried::Traces => return Err(EmbedError::StrippedPackage),
    }
    if payload.len() > MAX_PAYLOAD {
        return Err(EmbedError::PayloadTooLarge { len: payload.len() });
    }
    check_layout(host)?;
    let mut out = Vec::with_capacity(host.len() + payload.len() + (64 << 10));
    libsui::Elf::new(host)
        .append(SECTION, payload, &mut out)
        .map_err(|e| EmbedError::Libsui(e.to_string()))?;
    // Cheap (no copy), and proves what `--verify` and start-up will see.
    match find_in_file(&out)? {
        Some(found) if found == payload => Ok(out),
        _ => Err(EmbedError::ReadBack),
    }
}

/// The payload inside an executable file's bytes, or `None` when it carries none. A file that
/// carried one until a strip removed it is `PayloadMissing`, one cut short is `Truncated`, and
/// one whose headers a strip rewrote so that it would crash at start-up is `Damaged`.
pub fn find_in_file(exe: &[u8]) -> Result<Option<&[u8]>, EmbedError> {
    let damage = || -> Result<(), EmbedError> {
        match elf::sui_segment_damage(&elf::program_headers(exe)?, elf::phoff(exe)?) {
            Some(damage) => Err(EmbedError::Damaged(damage)),
            None => Ok(()),
        }
    };
    let misplaced = || -> Result<(), EmbedError> {
        match elf::sui_note_misplaced(&elf::program_headers(exe)?, elf::phoff(exe)?) {
            Some(why) => Err(EmbedError::Damaged(why)),
            None => Ok(()),
        }
    };
    match carried(exe) {
        Ok(Carried::Ours(payload)) => damage().and_then(|()| misplaced()).map(|()| Some(payload)),
        Ok(Carried::Nothing | Carried::Foreign(_)) => Ok(None),
        Ok(Carried::Traces) => damage().and(Err(EmbedError::PayloadMissing)),
        Err(EmbedError::Elf(ElfError::PastEnd {
            offset,
            len,
            file_len,
        })) => Err(EmbedError::Truncated {
            have: file_len,
            need: offset.saturating_add(len),
        }),
        Err(e) => Err(e),
    }
}

/// At start-up: this process's own payload, or `None` for a plain host. Never touches a byte of
/// the mapped note before checking that the file behind it holds all of it.
pub fn own_payload() -> Result<Option<&'static [u8]>, EmbedError> {
    running::own_payload()
}

enum Carried<'a> {
    Nothing,
    Ours(&'a [u8]),
    Foreign(String),
    /// libsui's program header layout without its note: stripped away.
    Traces,
}

fn carried(exe: &[u8]) -> Result<Carried<'_>, EmbedError> {
    let sections = elf::sui_sections(exe)?;
    if let Some((_, data)) = sections
        .iter()
        .find(|(name, _)| *name == SECTION.as_bytes())
    {
        return Ok(Carried::Ours(data));
    }
    if let Some((name, _)) = sections.first() {
        return Ok(Carried::Foreign(String::from_utf8_lossy(name).into_owned()));
    }
    let phdrs = elf::program_headers(exe)?;
    let phoff = elf::phoff(exe)?;
    if elf::has_sui_layout(&phdrs, |load| load.offset == phoff) {
        return Ok(Carried::Traces);
    }
    Ok(Carried::Nothing)
}

/// Refuses hosts whose headers would make libsui's arithmetic overflow or its padding huge.
fn check_layout(host: &[u8]) -> Result<(), EmbedError> {
    const USER_SPACE: u64 = 1 << 47;
    const PAGE: i128 = 0x1000;
    let malformed = |what: String| EmbedError::Elf(ElfError::Malformed(what));
    let phdrs = elf::program_headers(host)?;
    if phdrs.len() + 2 >= usize::from(u16::MAX) {
        return Err(malformed("too many program headers to add two".into()));
    }
    let loads: Vec<_> = phdrs.iter().filter(|p| p.p_type == elf::PT_LOAD).collect();
    let first = loads
        .first()
        .ok_or_else(|| malformed("no loadable segment".into()))?;
    let mut max_end = 0u64;
    for load in &loads {
        let end = load
            .vaddr
            .checked_add(load.memsz)
            .filter(|&e| e <= USER_SPACE);
        let end = end.ok_or_else(|| {
            malformed(format!("segment at {:#x} ends past user space", load.vaddr))
        })?;
        if load.offset > host.len() as u64 {
            return Err(malformed(format!(
                "segment at file offset {} is past the end",
                load.offset
            )));
        }
        max_end = max_end.max(end);
    }
    // The layout libsui 0.16.4 computes in `Elf::append`, in integers that cannot overflow.
    let align_up = |v: i128| (v + PAGE - 1) / PAGE * PAGE;
    let bias = i128::from(first.vaddr) - i128::from(first.offset);
    let len = host.len() as i128;
    let new_phoff = align_up(len).max(align_up(i128::from(max_end)) - bias);
    let padding = u64::try_from(new_phoff - len).unwrap_or(u64::MAX);
    if padding > MAX_PADDING {
        return Err(EmbedError::HugeGap { padding });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
