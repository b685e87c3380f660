//! Reading what a function printed: its JSON log lines, its CloudWatch EMF metric lines,
//! and waiting for lines that trail the answer.

use std::time::Duration;

use serde_json::Value;

use crate::runtime::LambdaProcess;

/// How long the `settled_*` helpers wait, in steps of [`STEP`].
const STEPS: u32 = 100;
/// One wait.
const STEP: Duration = Duration::from_millis(20);

/// Every line that parses as JSON.
pub fn json_lines(f: &LambdaProcess) -> Vec<Value> {
    f.logs()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// The JSON log lines at `level` (`WARN`, `ERROR`, …).
pub fn lines_at(f: &LambdaProcess, level: &str) -> Vec<Value> {
    json_lines(f)
        .into_iter()
        .filter(|v| v["level"] == level)
        .collect()
}

/// The CloudWatch EMF lines printed so far, parsed.
pub fn metric_lines(f: &LambdaProcess) -> Vec<Value> {
    json_lines(f)
        .into_iter()
        .filter(|v| v.get("_aws").is_some())
        .collect()
}

/// The metric lines once there are at least `count` (or after 2 s).
pub async fn settled_metric_lines(f: &LambdaProcess, count: usize) -> Vec<Value> {
    settled(|| metric_lines(f), count).await
}

/// `read()` once it returns at least `count` items (or after 2 s, whatever it returns).
pub async fn settled<T>(read: impl Fn() -> Vec<T>, count: usize) -> Vec<T> {
    for _ in 0..STEPS {
        let items = read();
        if items.len() >= count {
            return items;
        }
        tokio::time::sleep(STEP).await;
    }
    read()
}

/// Waits until `done()` holds; panics with `what` and the logs after 2 s.
pub async fn wait_until(f: &LambdaProcess, what: &str, done: impl Fn() -> bool) {
    for _ in 0..STEPS {
        if done() {
            return;
        }
        tokio::time::sleep(STEP).await;
    }
    panic!("{what}\nlogs:\n{}", f.logs().join("\n"));
}
