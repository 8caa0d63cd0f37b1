//! Parsing the header and index, with every check `Payload::open` makes on them. Nothing read
//! here sizes an allocation before it is checked against the bytes present.

use std::borrow::Cow;

use super::{
    Codec, Entry, FORMAT_VERSION, FormatError, Header, MAGIC, MAX_ENTRIES, MAX_FILE_SIZE,
    MAX_HOST_VERSION, MAX_ZSTD_RATIO, align, file_and_folder, is_mime_text, is_safe_path,
};

/// Little-endian fields from a byte string; `None` past its end.
struct Fields<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let taken = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(taken)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }
}

pub(super) fn read_header(bytes: &[u8]) -> Result<Header<'_>, FormatError> {
    let short = || FormatError::TooShort { have: bytes.len() };
    let Some(magic) = bytes.get(..MAGIC.len()) else {
        return Err(if MAGIC.starts_with(bytes) {
            short()
        } else {
            FormatError::NotAPayload
        });
    };
    if magic != MAGIC {
        return Err(FormatError::NotAPayload);
    }
    let mut f = Fields {
        bytes,
        pos: MAGIC.len(),
    };
    let version = f.u32().ok_or_else(short)?;
    if version > FORMAT_VERSION {
        let writer = writer_of(&mut f);
        return Err(FormatError::NewerVersion { version, writer });
    }
    if version != FORMAT_VERSION {
        return Err(FormatError::UnknownVersion(version));
    }
    let flags = f.u32().ok_or_else(short)?;
    let host_len = usize::from(f.u16().ok_or_else(short)?);
    if host_len > MAX_HOST_VERSION {
        return Err(FormatError::Header(format!(
            "its host version is {host_len} bytes long (at most {MAX_HOST_VERSION})"
        )));
    }
    Ok(Header {
        version,
        flags,
        host: f.take(host_len).ok_or_else(short)?,
        count: f.u32().ok_or_else(short)?,
        index_len: f.u64().ok_or_else(short)?,
        blobs_offset: f.u64().ok_or_else(short)?,
        total: f.u64().ok_or_else(short)?,
    })
}

/// The host version of a payload too new to read, from the fields every version keeps.
fn writer_of(f: &mut Fields<'_>) -> Option<String> {
    f.u32()?;
    let len = usize::from(f.u16()?);
    let host = std::str::from_utf8(f.take(len)?).ok()?;
    let plain = len <= MAX_HOST_VERSION && host.bytes().all(|b| b.is_ascii_graphic());
    plain.then(|| host.to_string())
}

pub(super) fn read_index(
    index: &[u8],
    count: u32,
    blobs_offset: u64,
    total: u64,
) -> Result<Vec<Entry<'_>>, FormatError> {
    let corrupt = |what: String| FormatError::Index(what);
    let count = count as usize;
    // The smallest entry has one-byte path and MIME strings: a count the index cannot hold
    // is refused before it sizes anything.
    if count > MAX_ENTRIES || count > index.len() / (super::ENTRY_FIXED + 2) {
        return Err(corrupt(format!(
            "it claims {count} entries in {} bytes",
            index.len()
        )));
    }
    let mut entries: Vec<Entry<'_>> = Vec::with_capacity(count);
    let mut f = Fields {
        bytes: index,
        pos: 0,
    };
    let mut end = blobs_offset;
    for i in 0..count {
        let cut = || corrupt(format!("entry {i} runs past the end of the index"));
        let path_len = usize::from(f.u16().ok_or_else(cut)?);
        let path = std::str::from_utf8(f.take(path_len).ok_or_else(cut)?)
            .map_err(|_| corrupt(format!("entry {i}: its path is not UTF-8")))?;
        if !is_safe_path(path) {
            return Err(FormatError::UnsafePath(path.to_string()));
        }
        if let Some(prev) = entries.last() {
            match (*prev.path).cmp(path) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Err(FormatError::DuplicatePath(path.into())),
                std::cmp::Ordering::Greater => {
                    return Err(corrupt(format!(
                        "it is not sorted: `{}` comes before `{path}`",
                        prev.path
                    )));
                }
            }
        }
        let size = f.u64().ok_or_else(cut)?;
        let codec = f.u8().ok_or_else(cut)?;
        let offset = f.u64().ok_or_else(cut)?;
        let stored_len = f.u64().ok_or_else(cut)?;
        let hash = f.array::<32>().ok_or_else(cut)?;
        let mime_len = usize::from(f.u8().ok_or_else(cut)?);
        let mime = f.take(mime_len).ok_or_else(cut)?;
        let bad = |what: String| Err(corrupt(format!("`{path}`: {what}")));
        let Some(codec) = Codec::from_byte(codec) else {
            return bad(format!("unknown codec {codec}"));
        };
        if size > MAX_FILE_SIZE {
            return bad(format!("its size {size} is over 4 GiB"));
        }
        match codec {
            Codec::Stored if stored_len != size => {
                return bad(format!(
                    "stored as {stored_len} bytes, but its size is {size}"
                ));
            }
            Codec::Zstd | Codec::ZstdDict if size > stored_len.saturating_mul(MAX_ZSTD_RATIO) => {
                return bad(format!(
                    "{size} bytes cannot come from {stored_len} compressed bytes"
                ));
            }
            _ => {}
        }
        if offset < blobs_offset {
            return bad(format!(
                "its blob at {offset} overlaps the header and index (which end at {blobs_offset})"
            ));
        }
        // `end` <= `total`, which fits in memory: no overflow.
        let expected = align(end).unwrap_or(u64::MAX);
        if offset != expected {
            return bad(format!(
                "its blob is at {offset}, where the layout puts it at {expected}"
            ));
        }
        end = match offset.checked_add(stored_len) {
            Some(blob_end) if blob_end <= total => blob_end,
            _ => {
                return bad(format!(
                    "its blob ({stored_len} bytes at {offset}) runs past the end of the payload \
                     ({total} bytes)"
                ));
            }
        };
        let Some(mime) = std::str::from_utf8(mime).ok().filter(|m| is_mime_text(m)) else {
            return bad("its MIME type is not ASCII text".into());
        };
        entries.push(Entry {
            path: Cow::Borrowed(path),
            size,
            codec,
            offset,
            stored_len,
            hash,
            mime: Cow::Borrowed(mime),
        });
    }
    if f.pos != index.len() {
        return Err(corrupt(format!(
            "{} bytes after its last entry",
            index.len() - f.pos
        )));
    }
    if end != total {
        return Err(corrupt(format!(
            "its last blob ends at {end}, but the payload is {total} bytes"
        )));
    }
    if let Some(i) = file_and_folder(&entries, |e| &e.path) {
        return Err(FormatError::FileAndFolder(entries[i].path.to_string()));
    }
    Ok(entries)
}
