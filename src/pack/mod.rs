//! Packaging: an app folder turned into one executable, and that executable's app read back.
//!
//! `apphost package DIR -o FILE` checks the app, collects its files ([`build::collect`]),
//! writes them as a payload ([`format`]) and puts the payload into a copy of an apphost host
//! binary as an ELF note ([`embed`]). At start-up a packaged executable finds its own payload
//! ([`launch::own_app`]) and runs the app from it in place, through a
//! [`crate::source::Packaged`] source: nothing is extracted to disk.

pub mod build;
pub mod embed;
pub mod format;
pub mod launch;

pub use build::{Options, Summary, package};
pub use launch::{Opened, own_app, verify};

/// Which payload format a host binary reads, findable in its bytes: `--host` must name a
/// build that reads the format this one writes. `#[used]` keeps it in a binary that never
/// reads it at run time.
#[used]
static FORMAT_MARK: [u8; 28] = *b"apphost-payload-format:0001;";

/// The payload format versions `host` (an apphost binary's bytes) says it reads.
pub fn formats_read_by(host: &[u8]) -> Vec<u32> {
    let prefix = &FORMAT_MARK[..23];
    let mut found: Vec<u32> = memchr::memmem::find_iter(host, prefix)
        .filter_map(|i| {
            let d = host.get(i + prefix.len()..i + prefix.len() + 5)?;
            if d[4] != b';' || !d[..4].iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(&d[..4]).ok()?.parse().ok()
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_host_says_which_format_it_reads() {
        assert_eq!(
            super::FORMAT_MARK[23..27],
            *format!("{:04}", super::format::FORMAT_VERSION).as_bytes()
        );
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(
            super::formats_read_by(&exe),
            vec![super::format::FORMAT_VERSION]
        );
        assert!(super::formats_read_by(b"apphost-payload-format:12x4; nothing").is_empty());
    }
}
