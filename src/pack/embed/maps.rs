//! Which file backs an address of this process, and how long that file is now. Read from
//! `/proc/self/maps` rather than `/proc/self/exe`: under an explicit `ld.so ./app` run the
//! latter names ld.so, while the mapping itself always names the app.

use std::io::BufRead;
use std::os::unix::fs::MetadataExt;

use super::EmbedError;

/// One line of `/proc/self/maps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping<'a> {
    pub start: usize,
    pub end: usize,
    /// The file offset the mapping starts at.
    pub offset: u64,
    pub inode: u64,
    /// As the kernel prints it: may end in " (deleted)", may be empty (anonymous memory).
    pub path: &'a str,
}

/// The lines of `/proc/self/maps` up to the one holding `addr`. The kernel writes the file as it
/// is read, in address order, and a GTK process has hundreds of mappings above the executable's.
pub fn read_up_to(addr: usize) -> std::io::Result<String> {
    let mut reader = std::io::BufReader::new(std::fs::File::open("/proc/self/maps")?);
    let mut text = String::new();
    while reader.read_line(&mut text)? != 0 {
        let last = text.trim_end().rsplit('\n').next().and_then(parse_line);
        if last.is_some_and(|m| m.end > addr) {
            break;
        }
    }
    Ok(text)
}

/// The mapping holding `addr`, if any.
pub fn containing(maps: &str, addr: usize) -> Option<Mapping<'_>> {
    maps.lines()
        .filter_map(parse_line)
        .find(|m| m.start <= addr && addr < m.end)
}

/// `start-end perms offset dev inode   path`; the path may hold spaces.
fn parse_line(line: &str) -> Option<Mapping<'_>> {
    let mut rest = line;
    let mut field = || {
        let trimmed = rest.trim_start_matches(' ');
        let end = trimmed.find(' ').unwrap_or(trimmed.len());
        rest = &trimmed[end..];
        Some(&trimmed[..end]).filter(|f| !f.is_empty())
    };
    let (start, end) = field()?.split_once('-')?;
    let _perms = field()?;
    let offset = u64::from_str_radix(field()?, 16).ok()?;
    let _dev = field()?;
    let inode = field()?.parse().ok()?;
    Some(Mapping {
        start: usize::from_str_radix(start, 16).ok()?,
        end: usize::from_str_radix(end, 16).ok()?,
        offset,
        inode,
        path: rest.trim_start_matches(' '),
    })
}

/// The file offset one past the `len` bytes mapped at `addr`, checked to lie in `mapping`.
pub fn file_end(mapping: &Mapping, addr: usize, len: usize) -> Option<u64> {
    let end = addr.checked_add(len)?;
    if addr < mapping.start || end > mapping.end {
        return None;
    }
    mapping
        .offset
        .checked_add(u64::try_from(end - mapping.start).ok()?)
}

/// The current length of the file behind `mapping`. The file is recognised by its inode (not
/// its device: on overlayfs the mapping shows the lower file's device, `stat` the overlay's).
/// When the path no longer names it (" (deleted)": replaced or removed while running), the same
/// inode is looked for through `/proc/self/exe` (the usual case, and memfd executables), then
/// `/proc/self/map_files` (which only privileged processes may follow).
pub fn backing_len(mapping: &Mapping) -> Result<u64, EmbedError> {
    if mapping.inode == 0 {
        return Err(EmbedError::Unverifiable(format!(
            "the payload is not mapped from a file ({:#x}-{:#x} {})",
            mapping.start, mapping.end, mapping.path
        )));
    }
    let (path, deleted) = match mapping.path.strip_suffix(" (deleted)") {
        Some(path) => (path, true),
        None => (mapping.path, false),
    };
    let map_file = format!("/proc/self/map_files/{:x}-{:x}", mapping.start, mapping.end);
    let candidates = [path, "/proc/self/exe", map_file.as_str()];
    let found = candidates
        .iter()
        .filter_map(|c| std::fs::metadata(c).ok())
        .find(|md| md.ino() == mapping.inode);
    match found {
        Some(md) => Ok(md.len()),
        None if deleted => Err(EmbedError::Replaced { path: path.into() }),
        None => Err(EmbedError::Unverifiable(format!(
            "{path} is no longer the file this process mapped (inode {})",
            mapping.inode
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c0e00000-55d0c0e02000 r--p 00000000 08:01 1234                       /opt/my app/bin
55d0c0e02000-55d0c0e05000 r-xp 00002000 08:01 1234                       /opt/my app/bin
55d0c1000000-55d0c1003000 r--p 00a00000 08:01 1234                       /opt/my app/bin (deleted)
55d0c2000000-55d0c2021000 rw-p 00000000 00:00 0                          [heap]
7ffd1000-7ffd2000 r--p 00000000 00:00 0
";

    #[test]
    fn finds_the_mapping_holding_an_address() {
        let table = [
            (0x55d0c0e00000, Some((0x55d0c0e00000, 0, "/opt/my app/bin"))),
            (
                0x55d0c0e04fff,
                Some((0x55d0c0e02000, 0x2000, "/opt/my app/bin")),
            ),
            (
                0x55d0c1000010,
                Some((0x55d0c1000000, 0xa00000, "/opt/my app/bin (deleted)")),
            ),
            (0x55d0c2000000, Some((0x55d0c2000000, 0, "[heap]"))),
            (0x7ffd1000, Some((0x7ffd1000, 0, ""))),
            (0x55d0c0e05000, None),
            (0, None),
        ];
        for (addr, want) in table {
            let got = containing(MAPS, addr).map(|m| (m.start, m.offset, m.path));
            assert_eq!(got, want, "address {addr:#x}");
        }
    }

    #[test]
    fn garbage_lines_are_skipped() {
        let maps = "nonsense\n1-\nzz-10 r--p 0 0:0 1 /x\n10-20 r--p 0 0:0 7 /ok\n";
        assert_eq!(containing(maps, 0x18).map(|m| m.inode), Some(7));
        assert_eq!(containing(maps, 0x1), None);
    }

    #[test]
    fn file_end_is_offset_plus_distance() {
        let m = containing(MAPS, 0x55d0c1000000).expect("mapped");
        assert_eq!(file_end(&m, 0x55d0c1000010, 0x20), Some(0xa00030));
        assert_eq!(file_end(&m, 0x55d0c1002ff0, 0x10), Some(0xa03000));
        assert_eq!(
            file_end(&m, 0x55d0c1002ff0, 0x11),
            None,
            "runs past the mapping"
        );
        assert_eq!(file_end(&m, 0x55d0c0fffff0, 1), None, "starts before it");
    }
}
