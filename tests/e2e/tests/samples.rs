//! Every sample in `events/<function>/` that has a `<name>.expected.json` gets exactly that
//! answer from the real binary configured with the development configuration
//! (`dev/local.env`) — judged by the same code as `cargo xtask run-samples`
//! (`xtask::samples`), which makes the check through `cargo lambda watch`; here without any
//! tool beyond cargo. The publisher publishes to a real `local-events` on a free loopback
//! port.

use serde_json::Value;
use testkit::binaries::{binary, workspace_root};
use testkit::dev_loop::LocalEvents;
use testkit::runtime::{LambdaProcess, Outcome};
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
    let events = start_local_events().await;
    let env = dev_env();
    let mut env: Vec<(&str, &str)> = env.with_prefixes(&["AWS_", "PUBLISH_"]).collect();
    env.push(("EVENTS_ENDPOINT", &events.url));
    let function = LambdaProcess::start(&binary("publisher"), &env).await;
    check(&function, "publisher").await;
}

/// Starts `local-events` on a free port with the dev namespaces and region.
async fn start_local_events() -> LocalEvents {
    let env = dev_env();
    let get = |key: &str| env.require(key).expect("set in dev/local.env").to_owned();
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
