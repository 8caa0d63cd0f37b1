//! [`write`]: files in, payload bytes out. Reproducible: the files are sorted, nothing depends
//! on time or the machine, the dictionary is trained from the same samples in the same order,
//! and each file is compressed on its own by a single-threaded zstd, so the worker threads
//! only change how fast the same bytes come out.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use zstd::bulk::Compressor;

use super::{
    Codec, DICT_FILE_MAX, DICT_MIN_BYTES, DICT_MIN_FILES, DICT_SAMPLES_MAX, DICT_SIZE, DICTIONARY,
    Entry, FORMAT_VERSION, FormatError, Header, INDEX_CHECK_LEN, MAX_ENTRIES, MAX_FILE_SIZE,
    MAX_HOST_VERSION, TINY, align, file_and_folder, index_check, is_precompressed, is_reserved,
    is_safe_path, mime_of, sha256,
};

/// A payload holding `files` (path, content), compressed at zstd `level`
/// ([`DEFAULT_LEVEL`](super::DEFAULT_LEVEL) or [`BEST_LEVEL`](super::BEST_LEVEL)), stamped
/// with `host_version`. Refuses unsafe and duplicate paths, a path that is both a file and a
/// folder, files over 4 GiB and more than a million files.
pub fn write(
    mut files: Vec<(String, Vec<u8>)>,
    level: i32,
    host_version: &str,
) -> Result<Vec<u8>, FormatError> {
    if host_version.len() > MAX_HOST_VERSION {
        return Err(FormatError::HostVersion(host_version.into()));
    }
    if !(1..=22).contains(&level) {
        return Err(FormatError::Level(level));
    }
    if files.len() > MAX_ENTRIES {
        return Err(FormatError::TooManyFiles(files.len()));
    }
    for (path, bytes) in &files {
        if !is_safe_path(path) {
            return Err(FormatError::UnsafePath(path.clone()));
        }
        if is_reserved(path) {
            return Err(FormatError::Reserved(path.clone()));
        }
        if bytes.len() as u64 > MAX_FILE_SIZE {
            let (path, size) = (path.clone(), bytes.len() as u64);
            return Err(FormatError::FileTooLarge { path, size });
        }
    }
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = files.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(FormatError::DuplicatePath(pair[0].0.clone()));
    }
    if let Some(i) = file_and_folder(&files, |(path, _)| path) {
        return Err(FormatError::FileAndFolder(files[i].0.clone()));
    }

    let dictionary = train(&files);
    let mut encoded = encode_all(&files, level, dictionary.as_deref())?;
    if let Some(dictionary) = dictionary
        && use_dictionary(&files, &mut encoded, dictionary.len())
    {
        let at = files.partition_point(|(path, _)| path.as_str() < DICTIONARY);
        let hash = sha256(&dictionary);
        files.insert(at, (DICTIONARY.to_owned(), dictionary));
        encoded.insert(at, (hash, None, None));
    }
    let encoded = encoded.into_iter().map(|(hash, kept, _)| (hash, kept));
    let header_len = Header::size_for(host_version.len()) as u64;
    let mut entries = Vec::with_capacity(files.len());
    let mut blobs = Vec::with_capacity(files.len());
    // Lengths are at most 2^20 files of 2^32 bytes: u64 sums cannot overflow.
    let mut index_len = 0;
    for ((path, content), (hash, packed)) in files.into_iter().zip(encoded) {
        let size = content.len() as u64;
        let (codec, blob) = match packed {
            Some(packed) => packed,
            None => (Codec::Stored, content),
        };
        let entry = Entry {
            mime: Cow::Owned(mime_of(&path)),
            path: Cow::Owned(path),
            size,
            codec,
            offset: 0, // once the index's length is known
            stored_len: blob.len() as u64,
            hash,
        };
        index_len += entry.index_len() as u64;
        entries.push(entry);
        blobs.push(blob);
    }
    let blobs_offset = next16(header_len + index_len + INDEX_CHECK_LEN as u64);
    let mut end = blobs_offset;
    for entry in &mut entries {
        entry.offset = next16(end);
        end = entry.offset + entry.stored_len;
    }
    let total = end;

    let mut out = Vec::new();
    usize::try_from(total)
        .ok()
        .and_then(|n| out.try_reserve_exact(n).ok())
        .ok_or(FormatError::TooLarge(total))?;
    Header {
        version: FORMAT_VERSION,
        flags: 0,
        host: host_version.as_bytes(),
        count: entries.len() as u32,
        index_len,
        blobs_offset,
        total,
    }
    .put(&mut out);
    for entry in &entries {
        entry.put(&mut out);
    }
    let hash = index_check(&out);
    out.extend_from_slice(&hash);
    for (entry, blob) in entries.iter().zip(&blobs) {
        out.resize(entry.offset as usize, 0);
        out.extend_from_slice(blob);
    }
    // Without files, the padding after the index is all there is.
    out.resize(total as usize, 0);
    Ok(out)
}

fn next16(n: u64) -> u64 {
    align(n).unwrap_or(u64::MAX)
}

/// A zstd dictionary for the small text files among `files` (sorted), when there are enough
/// of them for one to pay: trained from the first [`DICT_SAMPLES_MAX`] bytes of them by path.
/// `None` also when zstd cannot train one (samples too few or too alike).
fn train(files: &[(String, Vec<u8>)]) -> Option<Vec<u8>> {
    let small: Vec<&[u8]> = files
        .iter()
        .filter(|(path, bytes)| takes_dictionary(path, bytes))
        .map(|(_, bytes)| bytes.as_slice())
        .collect();
    let total: usize = small.iter().map(|b| b.len()).sum();
    if small.len() < DICT_MIN_FILES || total < DICT_MIN_BYTES {
        return None;
    }
    let mut taken = 0;
    let samples: Vec<&[u8]> = small
        .into_iter()
        .take_while(|b| {
            taken += b.len();
            taken <= DICT_SAMPLES_MAX
        })
        .collect();
    zstd::dict::from_samples(&samples, DICT_SIZE).ok()
}

/// Whether the writer compresses `bytes` with the dictionary, when there is one.
fn takes_dictionary(path: &str, bytes: &[u8]) -> bool {
    (TINY..=DICT_FILE_MAX).contains(&bytes.len()) && !is_precompressed(path)
}

/// A file's hash; how its bytes are kept when not as they are; and its bytes compressed with
/// the dictionary, when it takes one.
type Encoded = ([u8; 32], Kept, Option<Vec<u8>>);

/// How a file's bytes are kept when not as they are: the codec and the compressed bytes.
type Kept = Option<(Codec, Vec<u8>)>;

/// Whether the dictionary pays for itself: when the files compressed with it save more than
/// its own size (and its index entry), each file that is smaller with it is kept that way.
fn use_dictionary(files: &[(String, Vec<u8>)], encoded: &mut [Encoded], dictionary: usize) -> bool {
    let kept_len =
        |content: &[u8], kept: &Kept| kept.as_ref().map_or(content.len(), |(_, b)| b.len());
    let saved: usize = files
        .iter()
        .zip(encoded.iter())
        .filter_map(|((_, content), (_, kept, with))| {
            Some(kept_len(content, kept).saturating_sub(with.as_ref()?.len()))
        })
        .sum();
    if saved <= dictionary + 128 {
        return false;
    }
    for ((_, content), (_, kept, with)) in files.iter().zip(encoded.iter_mut()) {
        if let Some(with) = with.take()
            && with.len() < kept_len(content, kept)
            && with.len() as u64 * 100 <= content.len() as u64 * 95
        {
            *kept = Some((Codec::ZstdDict, with));
        }
    }
    true
}

/// One worker's zstd contexts: plain, and with the payload's dictionary when it has one.
pub(super) struct Coders {
    plain: Compressor<'static>,
    dictionary: Option<Compressor<'static>>,
}

impl Coders {
    pub(super) fn new(level: i32, dictionary: Option<&[u8]>) -> std::io::Result<Coders> {
        Ok(Coders {
            plain: Compressor::new(level)?,
            dictionary: dictionary
                .map(|d| Compressor::with_dictionary(level, d))
                .transpose()?,
        })
    }
}

/// Hashes and compresses `files` on every core, the biggest first so that a large file does
/// not start last and finish alone; the results come back in the order of `files`.
fn encode_all(
    files: &[(String, Vec<u8>)],
    level: i32,
    dictionary: Option<&[u8]>,
) -> Result<Vec<Encoded>, FormatError> {
    let workers = thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(files.len())
        .max(1);
    let compressors = (0..workers)
        .map(|_| Coders::new(level, dictionary))
        .collect::<Result<Vec<_>, _>>()
        .map_err(FormatError::Zstd)?;
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| Reverse(files[i].1.len()));
    let next = AtomicUsize::new(0);
    let work = |mut compressor: Coders| {
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let (path, content) = &files[i];
            let encoded = encode(&mut compressor, path, content)
                .map(|(kept, with)| (sha256(content), kept, with))
                .map_err(|source| FormatError::Compress {
                    path: path.clone(),
                    source,
                });
            done.push((i, encoded));
        }
        done
    };
    let mut done: Vec<(usize, Result<Encoded, FormatError>)> = if workers == 1 {
        compressors.into_iter().flat_map(work).collect()
    } else {
        thread::scope(|scope| {
            let work = &work;
            let handles: Vec<_> = compressors
                .into_iter()
                .map(|compressor| scope.spawn(move || work(compressor)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, encoded)| encoded).collect()
}

/// How `content` is kept when not as it is (see [`choose_codec`](super::choose_codec)): the
/// codec and the compressed bytes; and, for a file that takes the dictionary when there is
/// one, its bytes compressed with it ([`use_dictionary`] decides which are kept).
pub(super) fn encode(
    coders: &mut Coders,
    path: &str,
    content: &[u8],
) -> std::io::Result<(Kept, Option<Vec<u8>>)> {
    if content.len() < TINY || is_precompressed(path) {
        return Ok((None, None));
    }
    let packed = coders.plain.compress(content)?;
    // Kept when it saves at least 5%.
    let kept =
        (packed.len() as u64 * 100 <= content.len() as u64 * 95).then_some((Codec::Zstd, packed));
    let with = match &mut coders.dictionary {
        Some(with) if takes_dictionary(path, content) => Some(with.compress(content)?),
        _ => None,
    };
    Ok((kept, with))
}
