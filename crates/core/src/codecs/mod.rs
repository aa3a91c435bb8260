//! Interchange template codecs (ISO/IEC 19794-2, ANSI INCITS 378, NBIS xyt) and format detection.
//!
//! Implementation in progress in this change set; see the issue tracker.
