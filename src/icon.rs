//! Icons for windows and the tray: a PNG or ICO file decoded to RGBA.

use std::path::Path;

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
    Read(#[from] std::io::Error),
    #[error("{0}")]
    Decode(#[from] image::ImageError),
    #[error("is {width}x{height}; icons may be at most {MAX_SIDE}x{MAX_SIDE}")]
    TooLarge { width: u32, height: u32 },
}

pub fn load(path: &Path) -> Result<Rgba, IconError> {
    let open = || image::ImageReader::open(path)?.with_guessed_format();
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
