//! One module per subcommand. Each exposes `Args` (clap) and `run(args) -> anyhow::Result<()>`.
//! Add a module here, a variant to `Command` in main.rs and an arm to its `match`.
pub mod bench;
pub mod compare;
pub mod convert;
pub mod datasets;
pub mod devices;
pub mod eval;
pub mod extract;
pub mod identify;
pub mod info;
pub mod photo;
pub mod realism;
pub mod scan;
pub mod serve;
pub mod simulate;
pub mod store;
pub mod synth;
