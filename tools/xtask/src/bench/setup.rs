//! What a benchmark run needs before it starts: the function binaries built (release, or
//! debug for `--quick`), the Node baselines installed from their lock file, a log folder,
//! and a line describing the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use testkit::binaries::workspace_root;

use super::Options;

/// Paths and facts of one run.
#[derive(Debug)]
pub(crate) struct Setup {
    /// `target/bench`: the Node install, logs, JSON figures.
    pub work: PathBuf,
    /// Where the function binaries are (`target/release` or `target/debug`).
    bins: PathBuf,
    pub node: PathBuf,
    /// `target/bench/node`: bench/node's files with their `node_modules`.
    pub node_dir: PathBuf,
    pub log_dir: PathBuf,
    /// Kernel, cores, CPU model, node version: printed and written with the figures.
    pub machine: String,
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        Some(p) => workspace_root().join(p),
        None => workspace_root().join("target"),
    }
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn output(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Setup {
    /// Builds and installs what `benchmarks` need.
    pub(crate) fn prepare(options: &Options, benchmarks: &[&str]) -> Result<Self, String> {
        if !Path::new("/proc/self/schedstat").exists() {
            return Err("the benchmarks read /proc/<pid>/schedstat: Linux only".into());
        }
        let root = workspace_root();
        let work = target_dir().join("bench");
        let log_dir = work.join("logs");
        std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
        let profile = if options.quick { "debug" } else { "release" };
        for name in benchmarks {
            let mut build = cargo();
            build.arg("build");
            if !options.quick {
                build.arg("--release");
            }
            match *name {
                "authorizer" => build.args([
                    "-p",
                    "authorizer",
                    "--bin",
                    "authorizer",
                    "--example",
                    "runtime_floor",
                ]),
                _ => build.args([
                    "-p",
                    "publisher",
                    "--bin",
                    "publisher",
                    "-p",
                    "local-events",
                    "--bin",
                    "local-events",
                ]),
            };
            eprintln!("==> building the {name} benchmark's binaries ({profile})");
            run(&mut build, "cargo build")?;
        }

        let node = options.node.clone().unwrap_or_else(|| "node".into());
        let node_version = output(&node, &["--version"]).ok_or_else(|| {
            format!(
                "{} (node >= 20) is required for the Node.js baselines",
                node.display()
            )
        })?;
        let node_dir = work.join("node");
        install_node_baselines(&root.join("bench/node"), &node_dir)?;

        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, m)| m.trim().to_owned())
            })
            .unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let kernel = output(Path::new("uname"), &["-srm"]).unwrap_or_default();
        let machine = format!("{kernel}; {cores} cores; {cpu}; node {node_version}");
        eprintln!("==> machine: {machine}");
        if output(Path::new("pgrep"), &["-x", "rustc"]).is_some() {
            eprintln!(
                "==> warning: other Rust builds are running; figures will be noisy (ratios from paired blocks hold best)"
            );
        }
        Ok(Self {
            work,
            bins: target_dir().join(profile),
            node,
            node_dir,
            log_dir,
            machine,
        })
    }

    /// A workspace binary of this run's profile.
    pub(crate) fn binary(&self, name: &str) -> PathBuf {
        self.bins.join(name)
    }

    /// A workspace example of this run's profile.
    pub(crate) fn example(&self, name: &str) -> PathBuf {
        self.bins.join("examples").join(name)
    }
}

/// Copies bench/node's files to `dir` and runs `npm ci` there when the lock file changed.
fn install_node_baselines(source: &Path, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut stamp = String::new();
    for entry in std::fs::read_dir(source).map_err(|e| format!("{}: {e}", source.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_file() {
            std::fs::copy(&path, dir.join(&name)).map_err(|e| format!("{name}: {e}"))?;
            if name.starts_with("package") {
                stamp.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let stamp_file = dir.join("node_modules/.installed-from");
    if std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(stamp.as_str()) {
        return Ok(());
    }
    eprintln!(
        "==> npm ci in {} (bench/node/package-lock.json)",
        dir.display()
    );
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(dir),
        "npm ci (needs npm and the npm registry)",
    )?;
    std::fs::write(&stamp_file, stamp).map_err(|e| format!("{}: {e}", stamp_file.display()))
}

/// `cargo xtask bench micro`: criterion, then the ratio table.
pub(crate) fn micro() -> ExitCode {
    let mut jwt = cargo();
    jwt.args([
        "bench",
        "-p",
        "jwt-authz",
        "--bench",
        "verify",
        "--bench",
        "authorize",
    ]);
    let mut publish = cargo();
    publish.args(["bench", "-p", "events-publisher", "--bench", "publish"]);
    let mut ratios = Command::new("python3");
    ratios
        .arg(workspace_root().join("bench/criterion_ratios.py"))
        .arg(target_dir().join("criterion"));
    let steps = [
        (&mut jwt, "cargo bench -p jwt-authz"),
        (&mut publish, "cargo bench -p events-publisher"),
        (&mut ratios, "bench/criterion_ratios.py"),
    ];
    for (command, what) in steps {
        if let Err(e) = run(command, what) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// `cargo xtask bench instructions`: the verify bench built with symbols, run under
/// callgrind per algorithm by `bench/callgrind_ratios.py`.
pub(crate) fn instructions() -> ExitCode {
    let symbols = target_dir().join("bench/symbols");
    let result = (|| {
        run(
            Command::new("valgrind")
                .arg("--version")
                .stdout(Stdio::null()),
            "valgrind (apt-get install valgrind)",
        )?;
        run(
            cargo()
                .args(["bench", "-p", "jwt-authz", "--bench", "verify", "--no-run"])
                .env("CARGO_PROFILE_BENCH_STRIP", "none")
                .env("CARGO_PROFILE_BENCH_DEBUG", "line-tables-only")
                .env("CARGO_TARGET_DIR", &symbols),
            "building the verify bench with symbols",
        )?;
        let deps = symbols.join("release/deps");
        let binary = std::fs::read_dir(&deps)
            .map_err(|e| format!("{}: {e}", deps.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name.starts_with("verify-") && p.extension().is_none()
            })
            .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
            .ok_or("the verify bench binary was not built")?;
        run(
            Command::new("python3")
                .arg(workspace_root().join("bench/callgrind_ratios.py"))
                .arg(binary)
                .arg(target_dir().join("bench/callgrind")),
            "bench/callgrind_ratios.py",
        )
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
