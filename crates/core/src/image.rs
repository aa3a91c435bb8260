//! [`FingerImage`]: an 8-bit greyscale fingerprint image with its resolution.

use crate::error::ImageError;
use std::path::Path;

/// Smallest accepted side length in pixels (a 64 px side at 500 dpi is 3.3 mm: no usable print).
pub const MIN_SIDE: u32 = 64;
/// Largest accepted side length in pixels (a ten-print card scan at 1000 dpi is about 4000 px).
pub const MAX_SIDE: u32 = 4000;
/// Resolution assumed when the caller states none: the ISO/IEC 19794-4 and FBI norm for live scanners.
pub const DEFAULT_DPI: u16 = 500;
/// Accepted resolution range in dots per inch.
pub const DPI_RANGE: std::ops::RangeInclusive<u32> = 100..=2000;

/// An 8-bit greyscale image (0 = black ridge ink, 255 = white paper / no contact) with its
/// resolution in dots per inch.
///
/// Pixels are stored row-major, `width * height` bytes, no padding. Construction validates the
/// size ([`MIN_SIDE`]..=[`MAX_SIDE`]) and the dpi ([`DPI_RANGE`]), so every `FingerImage` that
/// exists is usable by the extractor. File headers are not trusted for dpi (FVC TIFFs claim
/// 1×1 dpi): the caller states it, default [`DEFAULT_DPI`].
///
/// Memory: `width * height` bytes. Plain data; `Send + Sync`.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerImage {
    width: u32,
    height: u32,
    dpi: u16,
    pixels: Vec<u8>,
}

impl std::fmt::Debug for FingerImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FingerImage({}x{} @ {} dpi)", self.width, self.height, self.dpi)
    }
}

impl FingerImage {
    /// Wraps a row-major pixel buffer. Fails if the buffer length is not `width * height`,
    /// a side is outside [`MIN_SIDE`]..=[`MAX_SIDE`] or the dpi is outside [`DPI_RANGE`].
    pub fn new(width: u32, height: u32, dpi: u16, pixels: Vec<u8>) -> Result<Self, ImageError> {
        if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
            return Err(ImageError::BadSize { width, height, min: MIN_SIDE, max: MAX_SIDE });
        }
        if !DPI_RANGE.contains(&(dpi as u32)) {
            return Err(ImageError::BadDpi(dpi as u32));
        }
        let expected = width as usize * height as usize;
        if pixels.len() != expected {
            return Err(ImageError::BufferSize { width, height, expected, got: pixels.len() });
        }
        Ok(FingerImage { width, height, dpi, pixels })
    }

    /// Decodes PNG, TIFF, BMP, JPEG, PGM/PNM or WSQ bytes (format sniffed from the content, not a
    /// file name). Colour images are converted to luma. `dpi` overrides whatever the file says;
    /// `None` means the WSQ header's ppi for WSQ (when present) and [`DEFAULT_DPI`] otherwise.
    ///
    /// Cost: one full decode; memory is bounded by the [`MAX_SIDE`] check made from the header
    /// before pixels are allocated.
    pub fn decode(bytes: &[u8], dpi: Option<u16>) -> Result<Self, ImageError> {
        if crate::wsq::is_wsq(bytes) {
            let decoded = crate::wsq::decode(bytes)?;
            let dpi = dpi.or(decoded.ppi).unwrap_or(DEFAULT_DPI);
            return FingerImage::new(decoded.width, decoded.height, dpi, decoded.pixels);
        }
        let reader = ::image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| ImageError::Decode(e.to_string()))?;
        if reader.format().is_none() {
            return Err(ImageError::Decode("unrecognised file signature".into()));
        }
        let mut reader = reader;
        let mut limits = ::image::Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(256 * 1024 * 1024);
        reader.limits(limits);
        let img = reader.decode().map_err(|e| match e {
            ::image::ImageError::Limits(_) => {
                ImageError::Decode(format!("image larger than {MAX_SIDE} px on a side or too large to decode safely"))
            }
            other => ImageError::Decode(other.to_string()),
        })?;
        let luma = img.into_luma8();
        let (w, h) = luma.dimensions();
        FingerImage::new(w, h, dpi.unwrap_or(DEFAULT_DPI), luma.into_raw())
    }

    /// Reads and decodes a file; see [`FingerImage::decode`].
    pub fn load(path: impl AsRef<Path>, dpi: Option<u16>) -> Result<Self, ImageError> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|source| ImageError::Io { path: path.display().to_string(), source })?;
        Self::decode(&bytes, dpi)
    }

    /// Encodes as an 8-bit greyscale PNG (lossless; used to keep source images for re-extraction).
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let enc = ::image::codecs::png::PngEncoder::new(&mut out);
        use ::image::ImageEncoder;
        enc.write_image(&self.pixels, self.width, self.height, ::image::ExtendedColorType::L8)
            .expect("PNG encoding into a Vec cannot fail for a valid L8 buffer");
        out
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// Resolution in dots per inch.
    pub fn dpi(&self) -> u16 {
        self.dpi
    }
    /// Row-major pixels, `width * height` bytes.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }
    /// Consumes the image and returns its pixel buffer.
    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }
    /// Pixel at `(x, y)`; panics if out of bounds (use [`FingerImage::get`] for checked access).
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> u8 {
        self.pixels[y as usize * self.width as usize + x as usize]
    }
    /// Pixel at `(x, y)` or `None` outside the image.
    #[inline]
    pub fn get(&self, x: i64, y: i64) -> Option<u8> {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            None
        } else {
            Some(self.pixels[y as usize * self.width as usize + x as usize])
        }
    }
    /// Returns a copy with another stated resolution (no resampling).
    pub fn with_dpi(mut self, dpi: u16) -> Result<Self, ImageError> {
        if !DPI_RANGE.contains(&(dpi as u32)) {
            return Err(ImageError::BadDpi(dpi as u32));
        }
        self.dpi = dpi;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_sizes_and_dpi() {
        assert!(matches!(FingerImage::new(10, 100, 500, vec![0; 1000]), Err(ImageError::BadSize { .. })));
        assert!(matches!(FingerImage::new(100, 100, 50, vec![0; 10000]), Err(ImageError::BadDpi(50))));
        assert!(matches!(FingerImage::new(100, 100, 500, vec![0; 9999]), Err(ImageError::BufferSize { .. })));
    }

    #[test]
    fn png_round_trip_keeps_pixels() {
        let px: Vec<u8> = (0..100 * 80).map(|i| (i * 7 % 251) as u8).collect();
        let img = FingerImage::new(100, 80, 500, px).unwrap();
        let back = FingerImage::decode(&img.to_png(), Some(500)).unwrap();
        assert_eq!(back, img);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(matches!(FingerImage::decode(b"", None), Err(ImageError::Decode(_))));
        assert!(matches!(FingerImage::decode(b"hello world", None), Err(ImageError::Decode(_))));
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = FingerImage::decode(&bytes, None);
        }
    }
}
