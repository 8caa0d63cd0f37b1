//! Icons for windows and the tray: a PNG or ICO file decoded to RGBA.

use std::io::Cursor;

use crate::source::{ReadError, Source};

/// A decoded icon, in the form tao and tray-icon take.
#[derive(Debug, Clone)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Larger icons are refused: no desktop shows one, and decoding would only cost memory.
pub const MAX_SIDE: u32 = 1024;

#[derive(Debug, thiserror::Error)]
pub enum IconError {
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Decode(#[from] image::ImageError),
    #[error("is {width}x{height}; icons may be at most {MAX_SIDE}x{MAX_SIDE}")]
    TooLarge { width: u32, height: u32 },
}

/// Icon files larger than this are not read (a 1024x1024 PNG is a few MiB at most).
const MAX_FILE_BYTES: u64 = 16 << 20;

/// The icon file `rel` of `source`, decoded.
pub fn load(source: &dyn Source, rel: &str) -> Result<Rgba, IconError> {
    let named = image::ImageFormat::from_path(rel).ok();
    decode(&source.read(rel, MAX_FILE_BYTES)?, named)
}

/// A PNG or ICO image's bytes, decoded. `named` is the format the file's name says, used
/// when the bytes do not say (so that a damaged PNG is reported as a PNG).
pub fn decode(bytes: &[u8], named: Option<image::ImageFormat>) -> Result<Rgba, IconError> {
    let open = || {
        let mut reader = image::ImageReader::new(Cursor::new(bytes));
        if let Some(format) = named {
            reader.set_format(format);
        }
        reader.with_guessed_format()
    };
    let (width, height) = open()?.into_dimensions()?;
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(IconError::TooLarge { width, height });
    }
    let img = open()?.decode()?.into_rgba8();
    Ok(Rgba {
        width: img.width(),
        height: img.height(),
        pixels: img.into_raw(),
    })
}
