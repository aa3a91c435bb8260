//! 4-bit image packing used by UpImage/DownImage: one byte = two horizontally adjacent pixels,
//! high nibble = left (even x), row-major from the top.

/// Image width of ZFM-20/R30x/AS608 modules in pixels.
pub const IMAGE_WIDTH: usize = 256;
/// Image height of ZFM-20/R30x/AS608 modules in pixels.
pub const IMAGE_HEIGHT: usize = 288;
/// Packed size of a full 256×288 image: 36 864 bytes.
pub const IMAGE_PACKED_BYTES: usize = IMAGE_WIDTH * IMAGE_HEIGHT / 2;

/// Length mismatch when packing or unpacking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackError {
    /// `out` must hold exactly (expected) bytes but holds (actual).
    WrongLength {
        /// Required output length.
        expected: usize,
        /// Provided output length.
        actual: usize,
    },
}

impl core::fmt::Display for PackError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let PackError::WrongLength { expected, actual } = self;
        write!(f, "output buffer holds {actual} bytes, {expected} required")
    }
}

/// Packs 8-bit pixels (even count) into nibbles, keeping the high 4 bits. `out.len()` must be
/// `pixels.len() / 2` (an odd trailing pixel is an error). Cost: O(n).
pub fn pack_4bit(pixels: &[u8], out: &mut [u8]) -> Result<(), PackError> {
    if pixels.len() % 2 != 0 || out.len() != pixels.len() / 2 {
        return Err(PackError::WrongLength { expected: pixels.len().div_ceil(2), actual: out.len() });
    }
    for (o, pair) in out.iter_mut().zip(pixels.chunks_exact(2)) {
        *o = (pair[0] & 0xF0) | (pair[1] >> 4);
    }
    Ok(())
}

/// Expands packed nibbles into 8-bit pixels with `v * 17` (0 → 0, 15 → 255). `out.len()` must be
/// `packed.len() * 2`. Cost: O(n).
pub fn unpack_4bit(packed: &[u8], out: &mut [u8]) -> Result<(), PackError> {
    if out.len() != packed.len() * 2 {
        return Err(PackError::WrongLength { expected: packed.len() * 2, actual: out.len() });
    }
    for (pair, &b) in out.chunks_exact_mut(2).zip(packed) {
        pair[0] = (b >> 4) * 17;
        pair[1] = (b & 0x0F) * 17;
    }
    Ok(())
}
