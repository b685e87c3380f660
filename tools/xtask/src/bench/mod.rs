//! `cargo xtask bench`: the benchmarks of BENCHMARKS.md, each one command.
//!
//! - `authorizer`: the release `authorizer` against an aws-jwt-verify authorizer and the
//!   no-op lambda_runtime floor, as processes under the Runtime API emulator
//!   ([`authorizer`]);
//! - `publisher`: the release `publisher` against a Node.js publisher on the AWS SDK's
//!   SigV4 signer, against `local-events` in IAM mode ([`publisher`]);
//! - `micro`: the criterion benches and their ratio table (`bench/criterion_ratios.py`);
//! - `instructions`: instruction counts per verification with callgrind
//!   (`bench/callgrind_ratios.py`, needs valgrind).
//!
//! `--quick` is the smoke mode (debug builds, a handful of invocations) a test runs so the
//! command cannot drift; its figures mean nothing. Linux only (reads `/proc`).

mod authorizer;
mod function;
mod paired;
mod publisher;
mod setup;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use paired::Plan;
pub(crate) use setup::Setup;

const USAGE: &str = "\
usage: cargo xtask bench <authorizer|publisher|processes|micro|instructions> [options]

  authorizer     the release authorizer vs an aws-jwt-verify authorizer (Node) and the
                 no-op lambda_runtime floor: cold start, warm CPU per invocation (paired
                 alternating blocks), peak RSS
  publisher      the release publisher vs a Node.js AWS SDK SigV4 publisher against
                 local-events (IAM): cold start, CPU per event (batches of 1, 5, 100),
                 events per second, peak RSS
  processes      both of the above
  micro          criterion: jwt-authz verify + authorize, events-publisher publish, and
                 the ratio table (python3 bench/criterion_ratios.py)
  instructions   callgrind instruction counts per verification (valgrind, python3)

options (authorizer, publisher, processes):
  --quick            smoke run: debug builds, a few invocations (figures meaningless)
  --cold-runs <N>    cold starts per implementation [15]
  --warmup <N>       warm-up invocations per implementation [3000; publisher 1000 per 5 events]
  --blocks <N>       alternating measured blocks [40; publisher 20]
  --block-size <N>   invocations per block [250; publisher 200 per 5 events]
  --json <FILE>      also write the figures here [target/bench/<name>.json]
  --node <PATH>      the node binary [node]

Needs cargo, node >= 20 and npm (the Node baselines are installed with `npm ci` from
bench/node/package-lock.json into target/bench/node). Linux only.";

/// What the command line asks for.
#[derive(Debug, Default)]
pub(crate) struct Options {
    pub quick: bool,
    pub cold_runs: Option<usize>,
    pub warmup: Option<usize>,
    pub blocks: Option<usize>,
    pub block_size: Option<usize>,
    pub json: Option<PathBuf>,
    pub node: Option<PathBuf>,
}

impl Options {
    /// The plan from the flags, else `--quick`'s, else the defaults given.
    pub(crate) fn plan(&self, warmup: usize, blocks: usize, block_size: usize) -> Plan {
        let (warmup, blocks, block_size) = if self.quick {
            (10, 2, 10)
        } else {
            (warmup, blocks, block_size)
        };
        Plan {
            warmup: self.warmup.unwrap_or(warmup),
            blocks: self.blocks.unwrap_or(blocks).max(1),
            block_size: self.block_size.unwrap_or(block_size).max(1),
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| {
            v.parse::<usize>()
                .map_err(|_| format!("{name}: {v:?} is not a whole number"))
        };
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--cold-runs" => options.cold_runs = Some(number(arg, value(arg)?)?),
            "--warmup" => options.warmup = Some(number(arg, value(arg)?)?),
            "--blocks" => options.blocks = Some(number(arg, value(arg)?)?),
            "--block-size" => options.block_size = Some(number(arg, value(arg)?)?),
            "--json" => options.json = Some(value(arg)?.into()),
            "--node" => options.node = Some(value(arg)?.into()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(options)
}

/// `cargo xtask bench …`.
pub(crate) fn main(args: Vec<String>) -> ExitCode {
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let options = match parse(rest) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let which: &[&str] = match command.as_str() {
        "authorizer" => &["authorizer"],
        "publisher" => &["publisher"],
        "processes" => &["authorizer", "publisher"],
        "micro" => return setup::micro(),
        "instructions" => return setup::instructions(),
        "help" | "--help" | "-h" => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown benchmark {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let setup = match Setup::prepare(&options, which) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    for name in which {
        eprintln!("==> {name}");
        let figures = runtime.block_on(async {
            match *name {
                "authorizer" => authorizer::run(&setup, &options).await,
                _ => publisher::run(&setup, &options).await,
            }
        });
        let path = options
            .json
            .clone()
            .filter(|_| which.len() == 1)
            .unwrap_or_else(|| setup.work.join(format!("{name}.json")));
        let document =
            serde_json::json!({"machine": setup.machine, "quick": options.quick, *name: figures});
        if let Err(e) = std::fs::write(&path, format!("{document:#}\n")) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("figures written to {}", path.display());
    }
    ExitCode::SUCCESS
}
