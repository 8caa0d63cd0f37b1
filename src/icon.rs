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

pub fn load(path: &Path) -> Result<Rgba, String> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let (w, h) = reader.into_dimensions().map_err(|e| e.to_string())?;
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!("{w}×{h} is larger than {MAX_SIDE}×{MAX_SIDE}"));
    }
    let img = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .decode()
        .map_err(|e| e.to_string())?
        .into_rgba8();
    Ok(Rgba {
        width: img.width(),
        height: img.height(),
        pixels: img.into_raw(),
    })
}
