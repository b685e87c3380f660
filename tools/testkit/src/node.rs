//! `node --test` runs: the Node side of the Amplify and browser suites reports with the TAP
//! reporter, and the Rust side reads its summary.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use tokio::process::Command;

/// What one `node --test --test-reporter=tap` run printed.
#[derive(Debug)]
pub struct TapRun {
    /// How node exited.
    pub status: ExitStatus,
    /// The TAP stream.
    pub stdout: String,
    /// Everything else node printed.
    pub stderr: String,
    /// How long it took.
    pub elapsed: Duration,
}

impl TapRun {
    /// A summary count: `# pass 6` → `count("pass") == Some(6)`.
    pub fn count(&self, name: &str) -> Option<u32> {
        let prefix = format!("# {name} ");
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(&prefix)?.trim().parse().ok())
    }

    /// Panics with `context` unless node exited 0 with no failure and `expected` passes.
    #[track_caller]
    pub fn assert_passed(&self, expected: u32, context: &str) {
        assert!(self.status.success(), "node --test failed: {context}");
        assert_eq!(self.count("fail"), Some(0), "{context}");
        assert_eq!(self.count("pass"), Some(expected), "{context}");
    }
}

/// Runs `command` (`node --test …`, set up by the caller) in its own process group, for at
/// most `limit`; past it the whole group (node and the test files it spawned) is killed
/// and the run panics with `on_timeout()`. `hint` says what to install when node does not
/// start.
pub async fn run_tap(
    command: &mut Command,
    limit: Duration,
    hint: &str,
    on_timeout: impl FnOnce() -> String,
) -> TapRun {
    command
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("`node` could not be started ({e}): {hint}"));
    let pid = child.id().expect("a running child has a pid");
    let output = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(output) => output.expect("node's output"),
        Err(_) => {
            // Still running, so the group id is still ours: stop it and its test files.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            panic!(
                "node --test did not finish within {limit:?}\n{}",
                on_timeout()
            );
        }
    };
    TapRun {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}
