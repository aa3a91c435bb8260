//! ridgegate-photo (work in progress).
