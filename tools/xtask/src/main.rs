//! `cargo xtask <command>` (the alias lives in `.cargo/config.toml`). Development only:
//! nothing here is deployed.
//!
//! A command is a module with `main(args) -> ExitCode` and one row of [`COMMANDS`]; the
//! library (`src/lib.rs`) holds the ones tests reuse, the doctor and the benchmarks live here.

mod bench;
mod doctor;

use std::process::ExitCode;

/// A command's name, its one-line description, and its entry point.
type Command = (&'static str, &'static str, fn(Vec<String>) -> ExitCode);

const COMMANDS: &[Command] = &[
    (
        "doctor",
        "check an authorizer configuration (and a token on stdin) step by step",
        doctor::main,
    ),
    (
        "bench",
        "run the benchmarks of BENCHMARKS.md (cargo xtask bench help)",
        bench::main,
    ),
    (
        "mint-dev-token",
        "print a token from the development issuer of dev/local.env",
        xtask::token::main,
    ),
    (
        "samples",
        "regenerate the authorizer samples (--check: verify they are current)",
        xtask::samples::generate::main,
    ),
    (
        "run-samples",
        "invoke every sample against the running dev loop and compare",
        xtask::samples::run::main,
    ),
    (
        "docs",
        "regenerate the documents generated from code (--check: verify)",
        xtask::docs::main,
    ),
    (
        "dev-env",
        "the dev loop's environment, derived from dev/local.env",
        xtask::dev_env::main,
    ),
    (
        "free-port",
        "print a free loopback TCP port (for the scripts)",
        xtask::dev_env::free_port_main,
    ),
];

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command> [options]\n\ncommands:\n");
    for (name, about, _) in COMMANDS {
        text.push_str(&format!("  {name:<16}{about}\n"));
    }
    text.push_str("  help            this text\n\ncargo xtask <command> --help for its options");
    text
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("help" | "--help" | "-h") | None => {
            eprintln!("{}", usage());
            ExitCode::SUCCESS
        }
        Some(name) => match COMMANDS.iter().find(|(n, _, _)| *n == name) {
            Some((_, _, run)) => run(args.collect()),
            None => {
                eprintln!("unknown command {name:?}\n\n{}", usage());
                ExitCode::from(2)
            }
        },
    }
}
