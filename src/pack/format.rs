//! The payload of a packaged app: every file of the app in one byte string, with an index that
//! can be checked and searched without reading the files, and a SHA-256 per file so that each
//! is checked when it is read. Pure code: [`write`] builds a payload in memory, [`Payload`]
//! reads one from a byte slice (in the executable, a mapped or read section). Where the bytes
//! live, and serving files from them, is the caller's business.
//!
//! # Layout
//!
//! All integers are little-endian; "str16" is a u16 byte length then that many UTF-8 bytes,
//! "str8" a u8 length then ASCII. Offsets count from the first byte of the payload.
//!
//! ```text
//! header   magic           8   b"APPHOST\0"
//!          format version  u32 FORMAT_VERSION (1)
//!          flags           u32 0
//!          host version    str16, at most 64 bytes: CARGO_PKG_VERSION of the writing host
//!          entry count     u32
//!          index length    u64 bytes of index that follow the header
//!          blobs offset    u64 = (header + index + 16) rounded up to 16
//!          total length    u64 = end of the last blob (or blobs offset when there are none)
//! index    entry count entries, sorted by path (byte order), each:
//!          path            str16: relative, '/'-separated, see `is_safe_path`
//!          size            u64 the file's length
//!          codec           u8  0 = stored, 1 = zstd (one frame that records its size),
//!                              2 = zstd with the payload's dictionary, the stored entry
//!                              `.apphost/zstd-dictionary` (present when any entry uses it)
//!          offset          u64 of the blob
//!          stored length   u64 of the blob (= size when stored)
//!          hash            32  SHA-256 of the file's content (not of the blob)
//!          mime            str8, e.g. "text/javascript" (no charset)
//! check    16  XXH3-128 of header + index (damage, not tampering: see the README)
//! padding  zeros up to blobs offset
//! blobs    in index order, each starting at the next multiple of 16, zero padding between
//! ```
//!
//! The layout is canonical: the index fixes every offset, so a payload whose offsets differ
//! from that layout is refused rather than interpreted. The first four header fields keep their
//! place in every format version, so a host can name the host that wrote a payload too new for
//! it. The writer is reproducible: the same files, in any order, give the same bytes.
//!
//! [`Payload::open`] checks the header, the index hash and every offset, length and path, and
//! nothing in the blobs; [`Payload::read`] checks one file's hash, [`Payload::verify_all`] all.
//! No number read from a payload sizes an allocation before it is checked against the bytes
//! actually present.

use std::borrow::Cow;

mod parse;
mod read;
mod write;

pub use read::Payload;
pub use write::write;

#[cfg(test)]
mod tests;

/// The first 8 bytes of every payload.
pub const MAGIC: [u8; 8] = *b"APPHOST\0";
/// The layout described in the module documentation.
pub const FORMAT_VERSION: u32 = 1;
/// The host version written by this build (`write` takes it as an argument, for tests).
pub const HOST_VERSION: &str = env!("CARGO_PKG_VERSION");
/// zstd level of `apphost package`, and of `--best`.
pub const DEFAULT_LEVEL: i32 = 3;
pub const BEST_LEVEL: i32 = 19;

/// Longest host version string in the header.
pub const MAX_HOST_VERSION: usize = 64;
/// Longest path, in bytes.
pub const MAX_PATH: usize = 1024;
/// Largest file: 4 GiB.
pub const MAX_FILE_SIZE: u64 = 4 << 30;
/// Most files in one payload.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Blobs start at multiples of this.
const ALIGN: u64 = 16;
/// Smaller files are stored: compressing them saves next to nothing.
const TINY: usize = 256;
/// No zstd frame expands more than this (an RLE block: 4 bytes for 128 KiB), so a zstd entry
/// whose size claims more is corrupt, whatever its frame says.
const MAX_ZSTD_RATIO: u64 = 32 * 1024;
/// Where a payload keeps its zstd dictionary, when it has one: the files compressed with
/// [`Codec::ZstdDict`] need it. Names under `.apphost/` at the root are the payload's own: an
/// app's files may not use them, and a packaged app's source never shows them.
pub const DICTIONARY: &str = ".apphost/zstd-dictionary";
const RESERVED: &str = ".apphost";

/// Whether `path` is one of the payload's own names (see [`DICTIONARY`]).
pub fn is_reserved(path: &str) -> bool {
    path.strip_prefix(RESERVED)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Files up to this size are compressed with the payload's dictionary, when it has one: small
/// files are where a dictionary pays (each zstd frame starts with no history of its own).
const DICT_FILE_MAX: usize = 128 << 10;
/// A dictionary is trained only from this many such files, of at least this many bytes in all.
const DICT_MIN_FILES: usize = 8;
const DICT_MIN_BYTES: usize = 64 << 10;
/// Bytes of samples it is trained from at most (the first files by path), and its size: 16 KiB
/// saved most on this repository's text (0.378x -> 0.35x; 64 KiB saved less in all).
const DICT_SAMPLES_MAX: usize = 4 << 20;
const DICT_SIZE: usize = 16 << 10;

/// Bytes of one index entry besides its path and MIME strings.
const ENTRY_FIXED: usize = 2 + 8 + 1 + 8 + 8 + 32 + 1;

/// How a file's bytes are kept in its blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// As they are: served straight from the payload, no copy.
    Stored,
    /// One zstd frame.
    Zstd,
    /// One zstd frame compressed with the payload's dictionary ([`DICTIONARY`]).
    ZstdDict,
}

impl Codec {
    fn byte(self) -> u8 {
        match self {
            Codec::Stored => 0,
            Codec::Zstd => 1,
            Codec::ZstdDict => 2,
        }
    }

    fn from_byte(b: u8) -> Option<Codec> {
        match b {
            0 => Some(Codec::Stored),
            1 => Some(Codec::Zstd),
            2 => Some(Codec::ZstdDict),
            _ => None,
        }
    }
}

/// One file of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Borrowed from the index when read (opening a payload allocates no string per file).
    pub path: Cow<'a, str>,
    /// The file's length (decompressed).
    pub size: u64,
    pub codec: Codec,
    /// Where the blob starts, from the start of the payload.
    pub offset: u64,
    /// The blob's length.
    pub stored_len: u64,
    /// SHA-256 of the file's content.
    pub hash: [u8; 32],
    /// The essence type (`text/css`), no parameters.
    pub mime: Cow<'a, str>,
}

/// Why a payload could not be written or read. Messages are for the person who packaged or
/// runs the app.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not an apphost payload (it does not start with the `APPHOST` magic)")]
    NotAPayload,
    #[error("the payload is truncated: {have} bytes, shorter than its header")]
    TooShort { have: usize },
    #[error("the payload is truncated: {have} of {total} bytes")]
    Truncated { have: usize, total: u64 },
    #[error(
        "payload format version {version} is newer than this host reads ({FORMAT_VERSION}); {}",
        newer_hint(.writer)
    )]
    NewerVersion {
        version: u32,
        writer: Option<String>,
    },
    #[error("payload format version {0} is not one this host reads ({FORMAT_VERSION})")]
    UnknownVersion(u32),
    #[error("the payload header is corrupt: {0}")]
    Header(String),
    #[error("the payload index is corrupt (hash mismatch)")]
    IndexHash,
    #[error("the payload index is corrupt: {0}")]
    Index(String),
    #[error("unsafe path in payload: `{0}`")]
    UnsafePath(String),
    #[error("`{0}`: names under `.apphost/` are the payload's own; rename it")]
    Reserved(String),
    #[error("duplicate path in payload: `{0}`")]
    DuplicatePath(String),
    #[error("`{0}` is both a file and a folder")]
    FileAndFolder(String),
    #[error("`{0}`: content does not match its hash")]
    ContentHash(String),
    #[error("`{path}`: {problem}")]
    Content { path: String, problem: String },
    #[error("the payload has bytes other than zero in the padding after {0}")]
    Padding(String),
    #[error("too many files: {0} (a payload holds at most {MAX_ENTRIES})")]
    TooManyFiles(usize),
    #[error("`{path}` is {size} bytes; a payload holds files of at most 4 GiB")]
    FileTooLarge { path: String, size: u64 },
    #[error("host version `{0}` is longer than {MAX_HOST_VERSION} bytes")]
    HostVersion(String),
    #[error("zstd level {0} is out of range (1 to 22)")]
    Level(i32),
    #[error("`{path}`: zstd: {source}")]
    Compress {
        path: String,
        source: std::io::Error,
    },
    #[error("zstd: {0}")]
    Zstd(std::io::Error),
    #[error("the payload would be {0} bytes, more than this machine can hold in memory")]
    TooLarge(u64),
}

fn newer_hint(writer: &Option<String>) -> String {
    match writer {
        Some(w) => format!("it was packaged with apphost {w}: use apphost {w} or newer"),
        None => "use a newer apphost".to_string(),
    }
}

/// Whether `path` may name a file in a payload: relative, `/`-separated, 1 to [`MAX_PATH`]
/// bytes, every segment non-empty and neither `.` nor `..`, no `\`, no control character. A
/// `%` is allowed (real files have them), but not a segment that percent-decodes to `.` or `..`
/// or to something with a separator or NUL: the `app://` protocol decodes request paths once,
/// and such a name is only ever an attempt to climb out.
pub fn is_safe_path(path: &str) -> bool {
    if path.is_empty() || path.len() > MAX_PATH {
        return false;
    }
    // One pass over the bytes (every payload path is checked at each start): control bytes,
    // backslashes, and each segment as it ends. DEL and the C1 controls are not ASCII control
    // bytes, so only a non-ASCII path is searched for them.
    let (mut start, mut escaped) = (0, false);
    for (i, &b) in path.as_bytes().iter().enumerate() {
        match b {
            b'\\' | 0..=0x1f | 0x7f => return false,
            b'%' => escaped = true,
            b'/' => {
                if !is_safe_segment(&path[start..i], escaped) {
                    return false;
                }
                (start, escaped) = (i + 1, false);
            }
            _ => {}
        }
    }
    is_safe_segment(&path[start..], escaped)
        && (path.is_ascii() || !path.chars().any(char::is_control))
}

/// A segment that names something inside its folder: not empty, `.` or `..`, even once
/// percent-decoded (`escaped`: it holds a `%`), and not hiding a separator or NUL.
fn is_safe_segment(seg: &str, escaped: bool) -> bool {
    if seg.is_empty() || seg == "." || seg == ".." {
        return false;
    }
    if !escaped {
        return true;
    }
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(seg).collect();
    !(decoded == b"." || decoded == b".." || decoded.iter().any(|b| b"/\\\0".contains(b)))
}

/// The MIME essence type the protocol serves `path` with (it adds the charset itself).
pub fn mime_of(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let essence = mime.essence_str();
    if essence.len() <= usize::from(u8::MAX) && is_mime_text(essence) {
        essence.to_string()
    } else {
        "application/octet-stream".to_string()
    }
}

fn is_mime_text(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

/// Extensions of formats that are compressed already: zstd would spend time to save nothing.
const PRECOMPRESSED: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "avif", "heic", "woff", "woff2", "zip", "gz", "tgz",
    "zst", "br", "xz", "bz2", "7z", "mp3", "mp4", "m4a", "m4v", "webm", "ogg", "oga", "ogv",
    "opus", "flac", "aac", "mov", "mkv",
];

/// How the writer keeps `bytes` (at the default level): stored when the extension is an
/// already-compressed format, when the file is under 256 bytes, or when zstd saves less than
/// 5%; zstd otherwise.
pub fn choose_codec(path: &str, bytes: &[u8]) -> Codec {
    match write::Coders::new(DEFAULT_LEVEL, None) {
        Ok(mut coders) => match write::encode(&mut coders, path, bytes) {
            Ok((Some((codec, _)), _)) => codec,
            Ok((None, _)) | Err(_) => Codec::Stored,
        },
        Err(_) => Codec::Stored,
    }
}

fn is_precompressed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        PRECOMPRESSED
            .iter()
            .any(|known| known.eq_ignore_ascii_case(ext))
    })
}

/// The fixed header fields, as read or to be written.
#[derive(Debug, Clone, Copy)]
struct Header<'a> {
    version: u32,
    flags: u32,
    host: &'a [u8],
    count: u32,
    index_len: u64,
    blobs_offset: u64,
    total: u64,
}

impl Header<'_> {
    /// Bytes of a header whose host version is `host_len` bytes.
    const fn size_for(host_len: usize) -> usize {
        8 + 4 + 4 + 2 + host_len + 4 + 8 + 8 + 8
    }

    /// The host version's length is taken as it is: the writer checks it, tests lie with it.
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&(self.host.len() as u16).to_le_bytes());
        out.extend_from_slice(self.host);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.index_len.to_le_bytes());
        out.extend_from_slice(&self.blobs_offset.to_le_bytes());
        out.extend_from_slice(&self.total.to_le_bytes());
    }
}

impl Entry<'_> {
    /// Bytes of this entry in the index.
    fn index_len(&self) -> usize {
        ENTRY_FIXED + self.path.len() + self.mime.len()
    }

    /// Lengths are taken as they are, as in [`Header::put`].
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.path.len() as u16).to_le_bytes());
        out.extend_from_slice(self.path.as_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.push(self.codec.byte());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.stored_len.to_le_bytes());
        out.extend_from_slice(&self.hash);
        out.push(self.mime.len() as u8);
        out.extend_from_slice(self.mime.as_bytes());
    }
}

fn align(n: u64) -> Option<u64> {
    n.checked_next_multiple_of(ALIGN)
}

/// Bytes of the index check that follows the index.
const INDEX_CHECK_LEN: usize = 16;

/// The check over header and index: XXH3-128, little-endian. It guards against damage (a bad
/// copy, a cut download, a flipped bit), as the files' SHA-256 do; it cannot guard against
/// tampering, and nothing stored beside the data could. It is a non-cryptographic hash because
/// it runs at every start over the whole index (about 1 MB for 10,000 files): SHA-256 took
/// 0.6 ms of the 1 ms budget for opening such a payload, XXH3 takes a few µs.
fn index_check(bytes: &[u8]) -> [u8; INDEX_CHECK_LEN] {
    xxhash_rust::xxh3::xxh3_128(bytes).to_le_bytes()
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// `path < dir + "/"` in byte order, without building the string: the entries under `dir/`
/// start where this turns false.
fn before_dir(path: &str, dir: &str) -> bool {
    let (p, d) = (path.as_bytes(), dir.as_bytes());
    let common = p.len().min(d.len());
    match p[..common].cmp(&d[..common]) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => p.len() <= d.len() || p[d.len()] < b'/',
    }
}

/// Whether `path` is `dir/…` (`dir` empty: always).
fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || (path.len() > dir.len() && path.as_bytes()[dir.len()] == b'/' && path.starts_with(dir))
}

/// The first of sorted `items` whose path is also a folder of another (`a` beside `a/b`).
fn file_and_folder<T>(items: &[T], path: impl Fn(&T) -> &str) -> Option<usize> {
    (0..items.len()).find(|&i| {
        let dir = path(&items[i]);
        // What is under `dir/` comes after `dir`, maybe after `dir.txt` and such, so only when
        // the next path starts with `dir` is there anything to search.
        let rest = &items[i + 1..];
        rest.first().is_some_and(|next| path(next).starts_with(dir)) && {
            let start = rest.partition_point(|t| before_dir(path(t), dir));
            rest.get(start).is_some_and(|t| is_under(path(t), dir))
        }
    })
}
