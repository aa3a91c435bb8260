//! ridgegate-matcher (work in progress).
