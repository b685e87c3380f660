//! A function process under test: the real program under testkit's Runtime API emulator,
//! its output to a log file (no reader competing for a CPU), and what the kernel counts
//! for it in `/proc/<pid>` (Linux only).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::runtime::{LambdaProcess, Launch, Outcome};

/// One implementation: how to start it.
#[derive(Debug, Clone)]
pub(crate) struct Implementation {
    /// The name in tables and `AWS_LAMBDA_FUNCTION_NAME`.
    pub name: &'static str,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

impl Implementation {
    pub(crate) fn new(name: &'static str, program: &Path) -> Self {
        Self {
            name,
            program: program.to_owned(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
        }
    }

    /// A Node.js script run from `dir` (`node <script> <args>…`).
    pub(crate) fn node(name: &'static str, node: &Path, dir: &Path, args: &[&str]) -> Self {
        Self {
            name,
            program: node.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            cwd: Some(dir.to_owned()),
            env: Vec::new(),
        }
    }

    pub(crate) fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }
}

/// What one invocation gave, and when (by the Runtime API's clock).
#[derive(Debug)]
pub(crate) struct Invocation {
    pub outcome: Outcome,
    pub queued_at: Instant,
    pub answered_at: Instant,
}

impl Invocation {
    pub(crate) fn wall(&self) -> Duration {
        self.answered_at - self.queued_at
    }

    /// The response body; a function error or an answer that fails `check` ends the run.
    pub(crate) fn expect(&self, who: &str, check: impl FnOnce(&Value) -> bool) -> &Value {
        match &self.outcome {
            Outcome::Response(v) if check(v) => v,
            other => fail(&format!("{who}: unexpected answer {other:?}")),
        }
    }
}

/// A running function; killed on drop.
#[derive(Debug)]
pub(crate) struct Function {
    pub name: &'static str,
    process: LambdaProcess,
    pid: u32,
}

/// Stops the benchmark with a message (the harness's only error path: a benchmark whose
/// functions misbehave has no figures to give).
pub(crate) fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

/// Lambda's own variables the Python-era harness set too (INFO logs, UTC).
const LAMBDA_ENV: [(&str, &str); 2] = [("AWS_LAMBDA_LOG_LEVEL", "INFO"), ("TZ", "UTC")];

impl Function {
    /// Spawns `implementation`; returns at once (the init phase runs meanwhile).
    pub(crate) async fn spawn(implementation: &Implementation, log_dir: &Path) -> Self {
        let mut launch = Launch::new(&implementation.program);
        launch.args = implementation.args.clone();
        launch.cwd = implementation.cwd.clone();
        launch.name = implementation.name.to_owned();
        launch.log_file = Some(log_dir.join(format!("{}.log", implementation.name)));
        launch.env = LAMBDA_ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain(implementation.env.iter().cloned())
            .collect();
        let process = LambdaProcess::launch(&launch).await;
        let pid = process
            .pid()
            .unwrap_or_else(|| fail("the function exited at once"));
        Self {
            name: implementation.name,
            process,
            pid,
        }
    }

    /// Invokes once (30 s deadline); no answer within a minute ends the run.
    pub(crate) async fn invoke(&self, payload: &Value) -> Invocation {
        let queued_at = Instant::now();
        let deadline = Duration::from_secs(30);
        match self
            .process
            .api()
            .invoke_timed(payload, deadline, deadline * 2)
            .await
        {
            Some((outcome, answered_at)) => Invocation {
                outcome,
                queued_at,
                answered_at,
            },
            None => fail(&format!(
                "{}: no answer within a minute (init error: {:?})",
                self.name,
                self.process.api().init_error()
            )),
        }
    }

    /// Spawn → first `/next` poll (init alone), once it has polled.
    pub(crate) fn init_time(&self) -> Option<Duration> {
        self.process
            .api()
            .first_poll_at()
            .map(|at| at - self.process.spawned_at())
    }

    pub(crate) fn spawned_at(&self) -> Instant {
        self.process.spawned_at()
    }

    fn tasks(&self) -> Vec<PathBuf> {
        std::fs::read_dir(format!("/proc/{}/task", self.pid))
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    /// Nanoseconds on a CPU, summed over the live threads (the scheduler's own count,
    /// `/proc/<pid>/task/*/schedstat`).
    pub(crate) fn cpu_ns(&self) -> u64 {
        self.tasks()
            .iter()
            .filter_map(|t| std::fs::read_to_string(t.join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .sum()
    }

    /// (utime, stime) of the thread group in clock ticks (`/proc/<pid>/stat`, fields 14
    /// and 15; tick-sampled: used only for the user/kernel split).
    pub(crate) fn cpu_ticks(&self) -> (u64, u64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        let fields: Vec<u64> = stat
            .rsplit_once(')')
            .map(|(_, rest)| {
                rest.split_whitespace()
                    .map(|f| f.parse().unwrap_or(0))
                    .collect()
            })
            .unwrap_or_default();
        (
            fields.get(11).copied().unwrap_or(0),
            fields.get(12).copied().unwrap_or(0),
        )
    }

    /// Voluntary + involuntary context switches of the live threads.
    pub(crate) fn context_switches(&self) -> u64 {
        self.tasks()
            .iter()
            .filter_map(|t| std::fs::read_to_string(t.join("status")).ok())
            .flat_map(|s| {
                s.lines()
                    .filter(|l| l.contains("ctxt_switches"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                    .collect::<Vec<_>>()
            })
            .sum()
    }

    pub(crate) fn threads(&self) -> usize {
        self.tasks().len()
    }

    /// Peak resident set size (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kb(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on).
pub(crate) const CLK_TCK: f64 = 100.0;

/// The host's steal time so far (`/proc/stat`, first line), in clock ticks.
pub(crate) fn steal_ticks() -> u64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| s.lines().next()?.split_whitespace().nth(8)?.parse().ok())
        .unwrap_or(0)
}
