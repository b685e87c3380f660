//! Project tooling: `cargo xtask <command>` (the alias lives in `.cargo/config.toml`).
//! Development only: nothing here is deployed.
//!
//! Commands:
//! - `doctor`: checks an authorizer configuration — and, optionally, a token read from
//!   standard input — step by step against the real issuer, printing a verdict and a fix
//!   for each step ([`doctor`]).
//! - `bench`: the benchmarks of BENCHMARKS.md ([`bench`]).

mod bench;
mod doctor;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  doctor    check an authorizer configuration (and a token on stdin) step by step
  bench     run the benchmarks of BENCHMARKS.md (cargo xtask bench help)
  help      this text

cargo xtask doctor --help for the doctor's options";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("doctor") => doctor::main(args.collect()),
        Some("bench") => bench::main(args.collect()),
        Some("help" | "--help" | "-h") | None => {
            eprintln!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
