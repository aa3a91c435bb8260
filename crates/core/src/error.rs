//! Error types of the core layer. Each message says what happened and, where it helps, what to do.

use thiserror::Error;

/// Why an image could not be loaded or is unusable.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The file could not be read from disk.
    #[error("cannot read image file {path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an image in any supported format.
    #[error("unsupported or corrupt image data: {0} (supported: PNG, TIFF, BMP, JPEG, PGM, WSQ)")]
    Decode(String),
    /// The WSQ stream is malformed.
    #[error("corrupt WSQ data: {0}")]
    Wsq(String),
    /// The image dimensions are outside what RidgeGate accepts.
    #[error("image is {width}x{height} px; RidgeGate accepts {min}..={max} px on each side")]
    BadSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Minimum side length accepted.
        min: u32,
        /// Maximum side length accepted.
        max: u32,
    },
    /// The resolution is outside the accepted range.
    #[error("resolution {0} dpi is outside 100..=2000 dpi; state the scanner's real dpi")]
    BadDpi(u32),
    /// Pixel buffer length does not match width × height.
    #[error("pixel buffer holds {got} bytes but {width}x{height} needs {expected}")]
    BufferSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Expected byte count.
        expected: usize,
        /// Actual byte count.
        got: usize,
    },
}

/// Why a template could not be decoded, encoded or validated.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateError {
    /// The input ends before the structure it announces.
    #[error("template truncated: needed {needed} bytes at offset {offset}, only {available} left")]
    Truncated {
        /// Byte offset where reading failed.
        offset: usize,
        /// Bytes needed there.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// The magic bytes do not name any known template format.
    #[error("not a fingerprint template: unknown magic {0:02X?}")]
    UnknownFormat(Vec<u8>),
    /// The format is known but this version is not supported.
    #[error("unsupported {format} version {version}")]
    UnsupportedVersion {
        /// Format name.
        format: &'static str,
        /// Version found.
        version: String,
    },
    /// The template was made by another extractor algorithm version and must be re-extracted.
    #[error(
        "template made by algorithm version {found}, this build uses {expected}: re-extract it from the stored source image"
    )]
    AlgorithmMismatch {
        /// Version in the template.
        found: u16,
        /// Version of this build.
        expected: u16,
    },
    /// The stored checksum does not match the content.
    #[error("template checksum mismatch (stored {stored:08X}, computed {computed:08X}): the record is corrupt")]
    Checksum {
        /// Checksum stored in the record.
        stored: u32,
        /// Checksum computed over the record.
        computed: u32,
    },
    /// A field holds a value outside its allowed range.
    #[error("invalid template field {field}: {reason}")]
    Invalid {
        /// Field name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A text format (.xyt) has a malformed line.
    #[error("line {line}: {reason}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The template cannot be represented in the requested output format.
    #[error("cannot encode as {format}: {reason}")]
    Unrepresentable {
        /// Output format.
        format: &'static str,
        /// Why.
        reason: String,
    },
}

impl TemplateError {
    /// Shorthand for [`TemplateError::Invalid`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        TemplateError::Invalid { field, reason: reason.into() }
    }
}
