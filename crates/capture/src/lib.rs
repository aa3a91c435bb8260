//! ridgegate-capture (work in progress).
