//! `cargo xtask docs [--check]`: the documents generated from code.
//!
//! Today that is the configuration document's JSON Schema
//! (`docs/authorizer-config.schema.json`), derived from the very types the authorizer
//! deserializes. `tests/e2e/tests/config_docs.rs` checks it with [`outputs`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use jwt_authz::AuthorizerConfig;

use crate::cli::{self, switch};
use crate::generated;

/// The JSON Schema's path, relative to the workspace root.
pub const SCHEMA: &str = "docs/authorizer-config.schema.json";

/// The JSON Schema of `AUTHORIZER_CONFIG`, as committed.
pub fn schema_text() -> String {
    let mut schema = schemars::schema_for!(AuthorizerConfig);
    schema.insert(
        "title".into(),
        "AppSync Events authorizer configuration (AUTHORIZER_CONFIG)".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Every generated document: `(path relative to the root, content)`.
pub fn outputs() -> Vec<(PathBuf, String)> {
    vec![(PathBuf::from(SCHEMA), schema_text())]
}

/// The generated documents under `root` that are not current.
pub fn stale(root: &Path) -> Vec<PathBuf> {
    generated::stale(root, &outputs())
}

const HELP: &str = "\
usage: cargo xtask docs [--check]

Regenerates the documents generated from code (docs/authorizer-config.schema.json, from
the configuration types); --check only reports the stale ones and fails.";

/// `cargo xtask docs`.
pub fn main(raw: Vec<String>) -> ExitCode {
    match cli::parse(raw, &[switch("--check")]) {
        Ok(args) if args.help => {
            eprintln!("{HELP}");
            ExitCode::SUCCESS
        }
        Ok(args) if args.positional.is_empty() => generated::write_or_check(
            &crate::workspace_root(),
            Ok(outputs()),
            args.has("--check"),
            "cargo xtask docs",
        ),
        Ok(_) => {
            eprintln!("docs: unexpected argument\n\n{HELP}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("docs: {error}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}
