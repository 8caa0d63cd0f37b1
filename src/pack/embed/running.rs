//! The running process's own payload, found through the program headers the loader already
//! mapped (`dl_iterate_phdr`), so a plain host pays for one call and no read at all.

use std::ffi::c_void;

use super::elf::{self, PT_NOTE, Phdr};
use super::{EmbedError, SECTION, maps};

/// The main program as the dynamic loader sees it.
struct Image {
    /// `dlpi_addr`: what to add to a segment's `p_vaddr` to get its address.
    base: usize,
    /// Where its program header table is mapped.
    table: usize,
    phdrs: Vec<Phdr>,
}

pub fn own_payload() -> Result<Option<&'static [u8]>, EmbedError> {
    let Some(image) = main_image() else {
        return Ok(None);
    };
    // No libsui layout, no payload: a plain host reads no note and no file.
    let table_vaddr = image.table.wrapping_sub(image.base) as u64;
    if !elf::has_sui_layout(&image.phdrs, |load| load.vaddr == table_vaddr) {
        return Ok(None);
    }
    let segments = note_segments(&image)?;
    check_backed(&segments)?;
    for (addr, len, align) in segments {
        // SAFETY: `check_backed` found these bytes mapped read-only (the loader mapped them from
        // the segment's PT_LOAD, which stays for the life of the process) and backed by the
        // file in full, so reading them cannot fault.
        let bytes: &'static [u8] = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
        let mut sections = elf::notes(bytes, align).filter_map(|n| elf::sui_section(&n));
        if let Some((_, payload)) = sections.find(|(name, _)| *name == SECTION.as_bytes()) {
            return Ok(Some(payload));
        }
    }
    Err(EmbedError::PayloadMissing)
}

/// (address, length, alignment) of each non-empty `PT_NOTE` segment.
fn note_segments(image: &Image) -> Result<Vec<(usize, usize, u64)>, EmbedError> {
    let bad = |p: &Phdr| EmbedError::Unverifiable(format!("note segment at {:#x}", p.vaddr));
    let mut segments = Vec::new();
    for p in image
        .phdrs
        .iter()
        .filter(|p| p.p_type == PT_NOTE && p.memsz > 0)
    {
        let vaddr = usize::try_from(p.vaddr).map_err(|_| bad(p))?;
        let len = usize::try_from(p.memsz).map_err(|_| bad(p))?;
        let addr = image.base.checked_add(vaddr).ok_or_else(|| bad(p))?;
        segments.push((addr, len, p.align));
    }
    Ok(segments)
}

/// Errs unless every segment lies inside one file mapping whose file holds all of its bytes.
fn check_backed(segments: &[(usize, usize, u64)]) -> Result<(), EmbedError> {
    let last = segments.iter().map(|&(addr, _, _)| addr).max().unwrap_or(0);
    let maps = maps::read_up_to(last)
        .map_err(|e| EmbedError::Unverifiable(format!("reading /proc/self/maps: {e}")))?;
    let mut known: Option<(u64, u64)> = None; // (inode, length): all segments share one file
    for &(addr, len, _) in segments {
        let not_mapped =
            || EmbedError::Unverifiable(format!("{len} bytes at {addr:#x} not mapped"));
        let mapping = maps::containing(&maps, addr).ok_or_else(not_mapped)?;
        let need = maps::file_end(&mapping, addr, len).ok_or_else(not_mapped)?;
        let have = match known {
            Some((inode, have)) if inode == mapping.inode => have,
            _ => maps::backing_len(&mapping)?,
        };
        known = Some((mapping.inode, have));
        if have < need {
            return Err(EmbedError::Truncated { have, need });
        }
    }
    Ok(())
}

fn main_image() -> Option<Image> {
    unsafe extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> libc::c_int {
        // SAFETY: `data` is the `Option<Image>` passed below; `info` is valid for this call.
        unsafe {
            let info = &*info;
            let out = &mut *data.cast::<Option<Image>>();
            if !info.dlpi_phdr.is_null() {
                let raw = std::slice::from_raw_parts(
                    info.dlpi_phdr.cast::<u8>(),
                    usize::from(info.dlpi_phnum) * size_of::<libc::Elf64_Phdr>(),
                );
                *out = Some(Image {
                    base: info.dlpi_addr as usize,
                    table: info.dlpi_phdr as usize,
                    phdrs: raw
                        .chunks_exact(size_of::<libc::Elf64_Phdr>())
                        .filter_map(Phdr::parse)
                        .collect(),
                });
            }
        }
        1 // the first object reported is the main program: stop there
    }
    let mut image: Option<Image> = None;
    // SAFETY: `first` only writes through `data`, which points at `image` for this call.
    unsafe { libc::dl_iterate_phdr(Some(first), (&raw mut image).cast()) };
    image
}
