//! ridgegate-admissions (work in progress).
