//! Just enough ELF reading to find libsui's note: the file header, the program headers and the
//! notes inside a `PT_NOTE` segment. ELF64 little-endian only (every Linux target apphost ships
//! for). Every read is bounds-checked and every sum is checked, so hostile bytes give an error,
//! never a panic.

pub const PT_LOAD: u32 = 1;
pub const PT_NOTE: u32 = 4;

/// The note libsui writes: owner `SUI`, this type, and a descriptor of a `u16` little-endian
/// section-name length, the section name, then the data (libsui 0.16.4 `build_elf_note_payload`).
const SUI_OWNER: &[u8] = b"SUI";
const SUI_NOTE_TYPE: u32 = 0x5355_4901;

const PHDR_SIZE: usize = 56;
/// `e_phnum` of 0xffff means the real count is elsewhere (PN_XNUM); no executable needs that.
const PN_XNUM: u16 = 0xffff;

/// What is wrong with the bytes, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    #[error("not an ELF file")]
    NotElf,
    #[error("only 64-bit little-endian ELF files are supported; this one is {0}")]
    Unsupported(&'static str),
    #[error("malformed ELF file: {0}")]
    Malformed(String),
    /// A segment lies (partly) past the end of the bytes: the file was cut short.
    #[error(
        "segment at file offset {offset} of {len} bytes ends past the end of the file ({file_len} bytes)"
    )]
    PastEnd {
        offset: u64,
        len: u64,
        file_len: u64,
    },
}

/// One program header, fields as in `Elf64_Phdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phdr {
    pub p_type: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Phdr {
    /// Reads one entry; `raw` must hold at least 56 bytes.
    pub fn parse(raw: &[u8]) -> Option<Phdr> {
        Some(Phdr {
            p_type: u32_at(raw, 0)?,
            offset: u64_at(raw, 8)?,
            vaddr: u64_at(raw, 16)?,
            filesz: u64_at(raw, 32)?,
            memsz: u64_at(raw, 40)?,
            align: u64_at(raw, 48)?,
        })
    }

    /// This segment's bytes in the file, or where they would end when they run past it.
    pub fn file_bytes<'a>(&self, file: &'a [u8]) -> Result<&'a [u8], ElfError> {
        let past_end = || ElfError::PastEnd {
            offset: self.offset,
            len: self.filesz,
            file_len: file.len() as u64,
        };
        let start = usize::try_from(self.offset).map_err(|_| past_end())?;
        let len = usize::try_from(self.filesz).map_err(|_| past_end())?;
        let end = start.checked_add(len).ok_or_else(past_end)?;
        file.get(start..end).ok_or_else(past_end)
    }
}

/// The program headers of an ELF64 little-endian file.
pub fn program_headers(file: &[u8]) -> Result<Vec<Phdr>, ElfError> {
    if file.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err(ElfError::NotElf);
    }
    match file.get(4) {
        Some(2) => {}
        Some(1) => return Err(ElfError::Unsupported("32-bit")),
        _ => return Err(ElfError::Malformed("unknown ELF class".into())),
    }
    match file.get(5) {
        Some(1) => {}
        Some(2) => return Err(ElfError::Unsupported("big-endian")),
        _ => return Err(ElfError::Malformed("unknown ELF data encoding".into())),
    }
    let header = |what: &str| ElfError::Malformed(format!("file header too short to hold {what}"));
    let phoff = u64_at(file, 0x20).ok_or_else(|| header("e_phoff"))?;
    let phentsize = u16_at(file, 0x36).ok_or_else(|| header("e_phentsize"))?;
    let phnum = u16_at(file, 0x38).ok_or_else(|| header("e_phnum"))?;
    if phnum == PN_XNUM {
        return Err(ElfError::Malformed(
            "more than 65534 program headers".into(),
        ));
    }
    if usize::from(phentsize) < PHDR_SIZE {
        return Err(ElfError::Malformed(format!(
            "program header entries of {phentsize} bytes (need {PHDR_SIZE})"
        )));
    }
    let table_len = u64::from(phentsize) * u64::from(phnum);
    let table = usize::try_from(phoff)
        .ok()
        .zip(usize::try_from(table_len).ok())
        .and_then(|(start, len)| file.get(start..start.checked_add(len)?))
        .ok_or_else(|| {
            ElfError::Malformed(format!(
                "program header table ({phnum} entries at offset {phoff}) runs past the end of \
                 the file ({} bytes)",
                file.len()
            ))
        })?;
    table
        .chunks_exact(usize::from(phentsize))
        .map(|raw| Phdr::parse(raw).ok_or_else(|| ElfError::Malformed("short entry".into())))
        .collect()
}

/// `e_phoff`: where the program header table starts in the file.
pub fn phoff(file: &[u8]) -> Result<u64, ElfError> {
    program_headers(file)?;
    u64_at(file, 0x20).ok_or_else(|| ElfError::Malformed("file header too short".into()))
}

/// Whether the program headers have the shape libsui 0.16.4 leaves: the table moved to the start
/// of a `PT_LOAD` of its own (`starts_table` says whether a segment starts where the table is:
/// by file offset in a file, by address in a running process). A linker puts the table just
/// after the file header, inside the first segment, never at the start of one.
pub fn has_sui_layout(phdrs: &[Phdr], starts_table: impl Fn(&Phdr) -> bool) -> bool {
    phdrs
        .iter()
        .any(|p| p.p_type == PT_LOAD && p.offset != 0 && starts_table(p))
}

/// What is wrong with the segment libsui added (the `PT_LOAD` starting at the program header
/// table, at file offset `phoff`), if anything: GNU strip rewrites it so that it no longer maps
/// its own bytes or lands on another segment's pages, and such a file crashes at start-up.
pub fn sui_segment_damage(phdrs: &[Phdr], phoff: u64) -> Option<String> {
    const PAGE: u64 = 0x1000;
    let loads = || phdrs.iter().filter(|p| p.p_type == PT_LOAD);
    let ours = loads().find(|p| p.offset != 0 && p.offset == phoff)?;
    if ours.vaddr % PAGE != ours.offset % PAGE {
        return Some(format!(
            "the payload's segment maps file offset {:#x} at address {:#x}, which share no page \
             alignment",
            ours.offset, ours.vaddr
        ));
    }
    let pages = |p: &Phdr| {
        let end = p.vaddr.checked_add(p.memsz)?.checked_add(PAGE - 1)?;
        Some((p.vaddr / PAGE, end / PAGE))
    };
    let (start, end) = pages(ours)?;
    loads().filter(|p| *p != ours).find_map(|other| {
        let (o_start, o_end) = pages(other)?;
        (o_start < end && start < o_end).then(|| {
            format!(
                "the payload's segment at {:#x} lands on the pages of the segment at {:#x}",
                ours.vaddr, other.vaddr
            )
        })
    })
}

/// When the payload's note is not where the loader maps it from: a strip that moved libsui's
/// segment but not the note's file offset leaves the note intact in the file and garbage at
/// its address in memory (seen with binutils 2.40 on apphost's debug build), so a check of
/// the file alone would pass a package that cannot find its payload at start.
pub fn sui_note_misplaced(phdrs: &[Phdr], phoff: u64) -> Option<String> {
    let ours = phdrs
        .iter()
        .find(|p| p.p_type == PT_LOAD && p.offset != 0 && p.offset == phoff)?;
    let ours_end = ours.vaddr.saturating_add(ours.memsz);
    phdrs
        .iter()
        .filter(|p| p.p_type == PT_NOTE && p.vaddr >= ours.vaddr && p.vaddr < ours_end)
        .find_map(|note| {
            let mapped_from = ours.offset.checked_add(note.vaddr - ours.vaddr);
            (mapped_from != Some(note.offset)).then(|| {
                format!(
                    "the payload's note is at file offset {:#x}, but the loader maps it from {:#x}",
                    note.offset,
                    mapped_from.unwrap_or(u64::MAX)
                )
            })
        })
}

/// One note of a `PT_NOTE` segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note<'a> {
    pub owner: &'a [u8],
    pub kind: u32,
    pub desc: &'a [u8],
}

/// The notes of a segment, in order; stops quietly at the first one that does not fit, as the
/// loader and libsui do.
pub fn notes(segment: &[u8], align: u64) -> impl Iterator<Item = Note<'_>> {
    // Notes are 4- or 8-aligned; anything else is read as 4 (libsui reads `max(p_align, 4)`).
    let align = if align == 8 { 8 } else { 4 };
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let namesz = usize::try_from(u32_at(segment, pos)?).ok()?;
        let descsz = usize::try_from(u32_at(segment, pos.checked_add(4)?)?).ok()?;
        let kind = u32_at(segment, pos.checked_add(8)?)?;
        let name_start = pos.checked_add(12)?;
        let name = segment.get(name_start..name_start.checked_add(namesz)?)?;
        let desc_start = align_up(name_start.checked_add(namesz)?, align)?;
        let desc = segment.get(desc_start..desc_start.checked_add(descsz)?)?;
        pos = align_up(desc_start.checked_add(descsz)?, align)?;
        let owner = name.strip_suffix(b"\0").unwrap_or(name);
        Some(Note { owner, kind, desc })
    })
}

/// The section name and data of a libsui note, or `None` for any other note.
pub fn sui_section<'a>(note: &Note<'a>) -> Option<SuiSection<'a>> {
    if note.owner != SUI_OWNER || note.kind != SUI_NOTE_TYPE {
        return None;
    }
    let name_len = usize::from(u16_at(note.desc, 0)?);
    let name = note.desc.get(2..2 + name_len)?;
    Some((name, note.desc.get(2 + name_len..)?))
}

/// A libsui section: (name, data).
pub type SuiSection<'a> = (&'a [u8], &'a [u8]);

/// Every libsui section in a file's `PT_NOTE` segments.
pub fn sui_sections(file: &[u8]) -> Result<Vec<SuiSection<'_>>, ElfError> {
    let mut found = Vec::new();
    for phdr in program_headers(file)? {
        if phdr.p_type == PT_NOTE {
            let segment = phdr.file_bytes(file)?;
            found.extend(notes(segment, phdr.align).filter_map(|n| sui_section(&n)));
        }
    }
    Ok(found)
}

fn align_up(value: usize, align: usize) -> Option<usize> {
    Some(value.checked_add(align - 1)? & !(align - 1))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        bytes.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}
