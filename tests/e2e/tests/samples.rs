//! Every sample in `events/<function>/` that has a `<name>.expected.json` gets exactly that
//! answer from the real binary configured with the development configuration
//! (`dev/local.env`) — judged by the same code as `cargo xtask run-samples`
//! (`xtask::samples`), which makes the check through `cargo lambda watch`; here without any
//! tool beyond cargo. The publisher publishes to a real `local-events` on a free loopback
//! port.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::binaries::{binary, workspace_root};
use testkit::runtime::{LambdaProcess, Outcome};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use xtask::dev_env::DevEnv;
use xtask::samples::{Sample, failures, with_expected};

fn dev_env() -> DevEnv {
    DevEnv::load(&workspace_root()).expect("dev/local.env parses")
}

async fn check(function: &LambdaProcess, name: &str) {
    let samples = with_expected(&workspace_root(), name).expect("events/ reads");
    assert!(
        !samples.is_empty(),
        "no {name} samples with expected answers"
    );
    let mut results: Vec<(Sample, Result<Value, String>)> = Vec::new();
    for sample in samples {
        let request = sample.request().expect("sample readable");
        let answer = match function.invoke(&request).await {
            Outcome::Response(answer) => Ok(answer),
            other => Err(format!("{other:?}")),
        };
        results.push((sample, answer));
    }
    let failed = failures(&results);
    assert!(
        failed.is_empty(),
        "{name} samples:\n{}\nlogs:\n{}",
        failed.join("\n"),
        function.logs().join("\n")
    );
}

#[tokio::test]
async fn every_authorizer_sample_gets_its_expected_answer() {
    let env = dev_env();
    let env: Vec<(&str, &str)> = env.with_prefixes(&["JWT_", "TOKEN_", "AUTH_"]).collect();
    let function = LambdaProcess::start(&binary("authorizer"), &env).await;
    check(&function, "authorizer").await;
}

#[tokio::test]
async fn every_publisher_sample_gets_its_expected_answer_from_local_events() {
    let (mut events, url) = start_local_events().await;
    let env = dev_env();
    let mut env: Vec<(&str, &str)> = env.with_prefixes(&["AWS_", "PUBLISH_"]).collect();
    env.push(("EVENTS_ENDPOINT", &url));
    let function = LambdaProcess::start(&binary("publisher"), &env).await;
    check(&function, "publisher").await;
    events.start_kill().expect("local-events stops");
}

/// Starts `local-events` on a free port with the dev namespaces and region; returns its URL.
async fn start_local_events() -> (Child, String) {
    let env = dev_env();
    let get = |key: &str| env.require(key).expect("set in dev/local.env");
    let mut child = Command::new(binary("local-events"))
        .args(["--listen", "127.0.0.1:0"])
        .env_clear()
        .env("LOCAL_EVENTS_NAMESPACES", get("LOCAL_EVENTS_NAMESPACES"))
        .env("LOCAL_EVENTS_REGION", get("LOCAL_EVENTS_REGION"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("local-events spawns");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr piped")).lines();
    let start = Instant::now();
    let url = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("local-events logs within 30 s")
            .expect("stderr readable")
            .expect("local-events keeps running");
        if let Some(rest) = line.split("listening: POST ").nth(1) {
            break rest.split("/event").next().unwrap_or_default().to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no listening line"
        );
    };
    // Keep draining its log so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}
