//! Every sample in `events/<function>/` that has a `<name>.expected.json` gets exactly that
//! answer from the real binary configured with the development configuration
//! (`dev/local.env`) — the same check `scripts/check-samples.sh` makes through
//! `cargo lambda watch`, here without any tool beyond cargo. The publisher publishes to a
//! real `local-events` on a free loopback port.

use std::path::{Path, PathBuf};

use serde_json::Value;
use testkit::binaries::{binary, workspace_root};
use testkit::dev_loop::LocalEvents;
use testkit::runtime::{LambdaProcess, Outcome};

/// `KEY=VALUE` lines of `dev/local.env` (comments and blank lines skipped).
fn dev_env() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(workspace_root().join("dev/local.env"))
        .expect("dev/local.env exists");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// `(sample, expected answer)` pairs of one function's directory, in name order.
fn samples(function: &str) -> Vec<(PathBuf, Value)> {
    let dir = workspace_root().join("events").join(function);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("sample directory exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let expected = p.with_extension("expected.json");
            expected.exists().then(|| (p.clone(), read_json(&expected)))
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("sample readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn check(function: &LambdaProcess, name: &str, cases: Vec<(PathBuf, Value)>) {
    assert!(!cases.is_empty(), "no {name} samples with expected answers");
    let mut mismatches = Vec::new();
    for (path, expected) in cases {
        let outcome = function.invoke(&read_json(&path)).await;
        let sample = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        match outcome {
            Outcome::Response(answer) if answer == expected => {}
            other => mismatches.push(format!("{sample}: expected {expected}, got {other:?}")),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{name} samples:\n{}\nlogs:\n{}",
        mismatches.join("\n"),
        function.logs().join("\n")
    );
}

#[tokio::test]
async fn every_authorizer_sample_gets_its_expected_answer() {
    let env: Vec<(String, String)> = dev_env()
        .into_iter()
        .filter(|(k, _)| k.starts_with("JWT_") || k.starts_with("TOKEN_") || k.starts_with("AUTH_"))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let function = LambdaProcess::start(&binary("authorizer"), &env).await;
    check(&function, "authorizer", samples("authorizer")).await;
}

#[tokio::test]
async fn every_publisher_sample_gets_its_expected_answer_from_local_events() {
    let events = start_local_events().await;
    let mut env: Vec<(String, String)> = dev_env()
        .into_iter()
        .filter(|(k, _)| k.starts_with("AWS_") || k.starts_with("PUBLISH_"))
        .collect();
    env.push(("EVENTS_ENDPOINT".into(), events.url.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let function = LambdaProcess::start(&binary("publisher"), &env).await;
    check(&function, "publisher", samples("publisher")).await;
}

/// Starts `local-events` on a free port with the dev namespaces and region.
async fn start_local_events() -> LocalEvents {
    let env = dev_env();
    let get = |key: &str| {
        env.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{key} in dev/local.env"))
    };
    let (namespaces, region) = (get("LOCAL_EVENTS_NAMESPACES"), get("LOCAL_EVENTS_REGION"));
    LocalEvents::start(
        &[],
        &[
            ("LOCAL_EVENTS_NAMESPACES", &namespaces),
            ("LOCAL_EVENTS_REGION", &region),
        ],
    )
    .await
}
