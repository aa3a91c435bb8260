//! WSQ (FBI Wavelet Scalar Quantization) decoder.

use crate::error::ImageError;

/// A decoded WSQ image.
#[derive(Debug, Clone)]
pub struct WsqImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution from the frame header / NISTCOM comment, if stated.
    pub ppi: Option<u16>,
    /// Row-major 8-bit pixels.
    pub pixels: Vec<u8>,
}

/// True if the bytes start with the WSQ start-of-image marker `FF A0`.
pub fn is_wsq(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xA0
}

/// Decodes a WSQ file.
pub fn decode(_bytes: &[u8]) -> Result<WsqImage, ImageError> {
    Err(ImageError::Wsq("WSQ decoding is being implemented".into()))
}
