//! The project's own tooling behind `cargo xtask <command>` (the alias lives in
//! `.cargo/config.toml`; `src/main.rs` maps each command to its module). Development only:
//! nothing here is deployed, and nothing that ships depends on it.
//!
//! Each command is one module with a `main(args) -> ExitCode`:
//! - [`token`]: `mint-dev-token`, a token from the development issuer (`dev/local.env`).
//! - [`samples`]: `samples [--check]` regenerates (or checks) the authorizer samples in
//!   `events/authorizer/` and `dev/sam-local-env.json`; `run-samples` invokes every sample
//!   against the running dev loop. [`samples::verdict`] is the one sample comparison, also
//!   used by `tests/e2e/tests/samples.rs`.
//! - [`docs`]: `docs [--check]`, the generated documents (the configuration's JSON Schema).
//! - [`dev_env`]: `dev-env`, the dev loop's environment derived from `dev/local.env` for the
//!   shell scripts; [`dev_env::DevEnv`] is the one parser of that file.
//!
//! The doctor lives in the binary (`src/doctor/`).

pub mod cli;
pub mod dev_env;
pub mod docs;
mod generated;
pub mod json;
pub mod samples;
pub mod token;

use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}
