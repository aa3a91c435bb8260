//! ridgegate-extract (work in progress).
