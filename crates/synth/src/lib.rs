//! ridgegate-synth (work in progress).
