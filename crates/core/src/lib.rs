//! # ridgegate-core
//!
//! The shared data model of RidgeGate:
//!
//! * [`FingerImage`] — an 8-bit greyscale image with its resolution in dpi, decoded from
//!   PNG, TIFF, BMP, JPEG, PGM or WSQ ([`wsq`]).
//! * [`FingerPosition`] — ISO/IEC 19794 / ANSI 378 finger position codes and the fprintd-style names.
//! * [`Minutia`] and [`MinutiaKind`] — ridge endings and bifurcations in pixel units.
//! * [`Template`] — one finger view's minutiae in RidgeGate's own versioned binary format
//!   (see [`template`] for the byte layout), validated on every decode.
//! * [`codecs`] — ISO/IEC 19794-2 (2005, 2011), ANSI INCITS 378 (2004, 2009) and NBIS `.xyt`
//!   import/export with format auto-detection.
//! * [`Score`] — the calibrated similarity scale, `score = −10·log10(FMR)`.
//!
//! Everything here is plain data: all types are `Send + Sync`, nothing does I/O except the
//! explicit `load`/`decode` helpers, and no decoder panics on any input (they return typed errors).

pub mod codecs;
pub mod error;
pub mod finger;
pub mod image;
pub mod minutia;
pub mod ridge_flow;
pub mod score;
pub mod template;
pub mod wsq;

pub use error::{ImageError, TemplateError};
pub use finger::FingerPosition;
pub use image::FingerImage;
pub use minutia::{Minutia, MinutiaKind};
pub use ridge_flow::RidgeFlow;
pub use score::Score;
pub use template::Template;
