//! ridgegate-store (work in progress).
