//! [`Payload`]: a checked view of a payload's bytes. Opening parses and checks the header and
//! index only; file contents are checked as they are read.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use super::parse::{read_header, read_index};
use super::{
    Codec, DICTIONARY, Entry, FormatError, Header, INDEX_CHECK_LEN, MAX_FILE_SIZE, MAX_ZSTD_RATIO,
    before_dir, index_check, is_under, sha256,
};

/// An opened payload. Borrows the bytes; stored files are served from them without a copy.
pub struct Payload<'a> {
    /// Exactly the payload: whatever followed it in the slice given to `open` is cut off.
    bytes: &'a [u8],
    format_version: u32,
    host_version: &'a str,
    blobs_offset: u64,
    entries: Vec<Entry<'a>>,
    /// The zstd dictionary's bytes once checked against their hash (or why they are not good).
    dictionary: OnceLock<Result<&'a [u8], String>>,
}

impl fmt::Debug for Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("len", &self.bytes.len())
            .field("format_version", &self.format_version)
            .field("host_version", &self.host_version)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl<'a> Payload<'a> {
    /// Checks and indexes the payload at the start of `bytes` (anything after it is ignored):
    /// the header, the index's hash, and every path, offset and length in the index. Costs a
    /// hash of the index and one small allocation per entry; reads no file.
    pub fn open(bytes: &'a [u8]) -> Result<Payload<'a>, FormatError> {
        let header = read_header(bytes)?;
        let corrupt = |what: String| Err(FormatError::Header(what));
        let header_len = Header::size_for(header.host.len());
        // At most 2^64 - 1 + 2^16: in u128 nothing overflows.
        let hash_end = header_len as u128 + u128::from(header.index_len) + INDEX_CHECK_LEN as u128;
        let blobs_offset = hash_end.next_multiple_of(16);
        if u128::from(header.blobs_offset) != blobs_offset {
            return corrupt(format!(
                "its blobs start at {}, but its index and hash end at {hash_end}",
                header.blobs_offset
            ));
        }
        if header.total < header.blobs_offset {
            return corrupt(format!(
                "its total length {} is less than the {} bytes before its blobs",
                header.total, header.blobs_offset
            ));
        }
        // Truncation first, so that a cut file says so rather than "corrupt".
        let truncated = Err(FormatError::Truncated {
            have: bytes.len(),
            total: header.total,
        });
        if (bytes.len() as u128) < hash_end {
            return truncated;
        }
        // Both fit in `bytes.len()` now.
        let (index_end, hash_end) = (hash_end as usize - INDEX_CHECK_LEN, hash_end as usize);
        if index_check(&bytes[..index_end]) != bytes[index_end..hash_end] {
            return Err(FormatError::IndexHash);
        }
        if (bytes.len() as u64) < header.total {
            return truncated;
        }
        let bytes = &bytes[..header.total as usize];
        let blobs_offset = header.blobs_offset;
        if bytes[hash_end..blobs_offset as usize]
            .iter()
            .any(|&b| b != 0)
        {
            return Err(FormatError::Padding("the index".into()));
        }
        if header.flags != 0 {
            return corrupt(format!("unknown flags {:#x}", header.flags));
        }
        let Ok(host_version) = std::str::from_utf8(header.host) else {
            return corrupt("its host version is not UTF-8".into());
        };
        let index = &bytes[header_len..index_end];
        let entries = read_index(index, header.count, blobs_offset, header.total)?;
        if entries.iter().any(|e| e.codec == Codec::ZstdDict) {
            let dict = entries.binary_search_by(|e| (*e.path).cmp(DICTIONARY));
            if !dict.is_ok_and(|i| entries[i].codec == Codec::Stored) {
                return Err(FormatError::Index(format!(
                    "files use the zstd dictionary, but `{DICTIONARY}` is not a stored file"
                )));
            }
        }
        Ok(Payload {
            bytes,
            format_version: header.version,
            host_version,
            blobs_offset,
            entries,
            dictionary: OnceLock::new(),
        })
    }

    /// The version of the host that wrote the payload.
    pub fn host_version(&self) -> &'a str {
        self.host_version
    }

    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The payload's bytes, from its magic to the end of its last blob.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Every file, sorted by path.
    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    /// The file at `path` (`web/index.html`), not a folder.
    pub fn get(&self, path: &str) -> Option<&Entry<'a>> {
        let i = self
            .entries
            .binary_search_by(|e| (*e.path).cmp(path))
            .ok()?;
        self.entries.get(i)
    }

    /// Whether `path` (no trailing `/`) is a folder: `""`, the root, always is, and any other
    /// path is when some file is under `path/`.
    pub fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || !self.under(path).is_empty()
    }

    /// The files and folders directly in `dir` (`""` for the root), sorted by name, each with
    /// whether it is a folder. Empty when `dir` is not a folder.
    pub fn list(&self, dir: &str) -> Vec<(String, bool)> {
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut children: Vec<(String, bool)> = Vec::new();
        for e in self.under(dir) {
            let rest = &e.path[skip..];
            let (name, is_dir) = match rest.split_once('/') {
                Some((name, _)) => (name, true),
                None => (rest, false),
            };
            // A folder's files are contiguous in the index: one look back removes repeats.
            if children
                .last()
                .is_none_or(|(last, _)| last.as_str() != name)
            {
                children.push((name.to_string(), is_dir));
            }
        }
        // `a-b` sorts before `a/x`, so folders and files come out interleaved by full path.
        children.sort_unstable();
        children
    }

    /// The entries under `dir/` (all of them for `""`).
    fn under(&self, dir: &str) -> &[Entry<'a>] {
        if dir.is_empty() {
            return &self.entries;
        }
        let start = self.entries.partition_point(|e| before_dir(&e.path, dir));
        let rest = &self.entries[start..];
        &rest[..rest.partition_point(|e| is_under(&e.path, dir))]
    }

    /// The blob of `e` as stored, unchecked. Empty for an entry of another payload that does
    /// not fit in this one.
    pub fn raw(&self, e: &Entry<'_>) -> &'a [u8] {
        let range = usize::try_from(e.offset).ok().and_then(|start| {
            let end = start.checked_add(usize::try_from(e.stored_len).ok()?)?;
            Some(start..end)
        });
        range.and_then(|r| self.bytes.get(r)).unwrap_or(&[])
    }

    /// The content of `e`, checked against its hash: a stored file borrowed from the payload,
    /// a compressed one decompressed into a buffer of exactly its size.
    pub fn read(&self, e: &Entry<'_>) -> Result<Cow<'a, [u8]>, FormatError> {
        let raw = self.raw(e);
        let content = match e.codec {
            Codec::Stored => Cow::Borrowed(raw),
            Codec::Zstd => Cow::Owned(decompress(e, raw, None)?),
            Codec::ZstdDict => Cow::Owned(decompress(e, raw, Some(self.dictionary(e)?))?),
        };
        if content.len() as u64 != e.size {
            return Err(content_error(
                e,
                format!("{} bytes where the index says {}", content.len(), e.size),
            ));
        }
        if sha256(&content) != e.hash {
            return Err(FormatError::ContentHash(e.path.to_string()));
        }
        Ok(content)
    }

    /// The zstd dictionary, checked once against its hash, for entry `e` that needs it.
    fn dictionary(&self, e: &Entry<'_>) -> Result<&'a [u8], FormatError> {
        self.dictionary
            .get_or_init(|| {
                let entry = self.get(DICTIONARY).ok_or("it is missing")?;
                match self.read(entry) {
                    Ok(Cow::Borrowed(bytes)) => Ok(bytes),
                    Ok(Cow::Owned(_)) => Err("it is compressed".to_string()),
                    Err(err) => Err(err.to_string()),
                }
            })
            .clone()
            .map_err(|why| content_error(e, format!("the payload's zstd dictionary: {why}")))
    }

    /// Reads and checks every file, and the zero padding between blobs.
    pub fn verify_all(&self) -> Result<(), FormatError> {
        let mut end = self.blobs_offset;
        let mut after = "the index".to_string();
        for e in &self.entries {
            let padding = self
                .bytes
                .get(end as usize..e.offset as usize)
                .unwrap_or(&[]);
            if padding.iter().any(|&b| b != 0) {
                return Err(FormatError::Padding(after));
            }
            self.read(e)?;
            end = e.offset + e.stored_len;
            after = format!("`{}`", e.path);
        }
        Ok(())
    }
}

fn content_error(e: &Entry<'_>, problem: String) -> FormatError {
    FormatError::Content {
        path: e.path.to_string(),
        problem,
    }
}

/// One zstd frame that records `e.size`, decompressed (with `dictionary`, for
/// [`Codec::ZstdDict`]) into a buffer of at most that size.
fn decompress(
    e: &Entry<'_>,
    raw: &[u8],
    dictionary: Option<&[u8]>,
) -> Result<Vec<u8>, FormatError> {
    // `open` refused entries that break these, but `e` may come from elsewhere.
    if e.size > MAX_FILE_SIZE || e.size > e.stored_len.saturating_mul(MAX_ZSTD_RATIO) {
        return Err(content_error(e, format!("implausible size {}", e.size)));
    }
    match zstd::zstd_safe::get_frame_content_size(raw) {
        Ok(Some(n)) if n == e.size => {}
        Ok(Some(n)) => {
            return Err(content_error(
                e,
                format!("decompresses to {n} bytes, but the index says {}", e.size),
            ));
        }
        Ok(None) => return Err(content_error(e, "its zstd frame has no size".into())),
        Err(_) => return Err(content_error(e, "not a zstd frame".into())),
    }
    let capacity = usize::try_from(e.size)
        .map_err(|_| content_error(e, format!("too large to read: {} bytes", e.size)))?;
    // A frame that lies about its size fails here rather than growing the buffer.
    let decompressor = match dictionary {
        Some(d) => zstd::bulk::Decompressor::with_dictionary(d),
        None => zstd::bulk::Decompressor::new(),
    };
    decompressor
        .and_then(|mut d| d.decompress(raw, capacity))
        .map_err(|err| content_error(e, format!("cannot decompress: {err}")))
}
