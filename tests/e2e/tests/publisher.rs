//! End-to-end tests of the `publisher` binary: the real function under the Lambda Runtime
//! API, publishing to a loopback fake of the AppSync Events endpoint
//! (`fixtures/events_endpoint.py`) that verifies every SigV4 signature independently, with
//! botocore, and injects faults on command.
//!
//! Requires `python3` with `botocore` (`pip install botocore`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::binaries::{binary, workspace_root};
use testkit::runtime::{LambdaProcess, Outcome};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const ACCESS_KEY: &str = "AKIDE2EPUBLISHER0001";
const SECRET_KEY: &str = "e2e/Publisher+Secret+Key+0123456789abcdef";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjE2e2eSessionTokenValue0123456789";

/// The fake endpoint process; killed on drop.
struct FakeEvents {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    port: u16,
}

impl FakeEvents {
    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    async fn start_with(extra: &[&str]) -> Self {
        let botocore = std::process::Command::new("python3")
            .args(["-c", "import botocore"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            botocore.is_ok_and(|s| s.success()),
            "the publisher end-to-end tests need python3 with botocore, which verifies the \
             signatures independently: run `pip install botocore`"
        );
        let script: PathBuf = workspace_root().join("tests/e2e/fixtures/events_endpoint.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .args(["--session-token", SESSION_TOKEN, "--region", "us-east-1"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs the fake endpoint");
        let stdin = child.stdin.take().expect("stdin piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), stdout.next_line())
            .await
            .expect("fake endpoint starts within 20 s")
            .expect("reads its stdout")
            .expect("it prints its port");
        let hello: Value = serde_json::from_str(&first).expect("port line is JSON");
        let port = hello["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .expect("a port number");
        Self {
            child,
            stdin,
            stdout,
            port,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn command(&mut self, command: Value) -> Value {
        let line = format!("{command}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write command");
        self.stdin.flush().await.expect("flush command");
        let answer = tokio::time::timeout(Duration::from_secs(10), self.stdout.next_line())
            .await
            .expect("fake endpoint answers")
            .expect("reads its stdout")
            .expect("an answer line");
        serde_json::from_str(&answer).expect("answer is JSON")
    }

    async fn fault(&mut self, faults: Value) {
        let answer = self.command(json!({"op": "fault", "faults": faults})).await;
        assert_eq!(answer["ok"], true, "{answer}");
    }

    /// Every publish request received, in order (accepted or not).
    async fn requests(&mut self) -> Vec<Value> {
        let answer = self.command(json!({"op": "requests"})).await;
        answer["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Every event the endpoint accepted, as `{"channel", "event"}`.
    async fn delivered(&mut self) -> Vec<Value> {
        let answer = self.command(json!({"op": "delivered"})).await;
        answer["delivered"].as_array().cloned().unwrap_or_default()
    }

    async fn delivered_to(&mut self, channel: &str) -> Vec<Value> {
        self.delivered()
            .await
            .into_iter()
            .filter(|d| d["channel"] == channel)
            .map(|d| d["event"].clone())
            .collect()
    }
}

impl Drop for FakeEvents {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The publisher, configured for `fake`, with test credentials; `extra` overrides.
async fn publisher(fake: &FakeEvents, extra: &[(&str, &str)]) -> LambdaProcess {
    let endpoint = fake.url();
    let mut env = base_env(&endpoint);
    env.extend_from_slice(extra);
    LambdaProcess::start(&binary("publisher"), &env).await
}

fn base_env(endpoint: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("EVENTS_ENDPOINT", endpoint),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ("PUBLISH_REQUEST_TIMEOUT_MS", "2000"),
    ]
}

fn sample(name: &str) -> Value {
    let path = workspace_root().join("events/publisher").join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn numbered(channel: &str, range: std::ops::Range<u32>) -> Vec<Value> {
    range.map(|n| json!({"channel": channel, "n": n})).collect()
}

/// No credential, token or signature in anything the function printed.
fn assert_no_secrets(function: &LambdaProcess) {
    let logs = function.logs().join("\n");
    for secret in [SECRET_KEY, SESSION_TOKEN, ACCESS_KEY, "Signature="] {
        assert!(!logs.contains(secret), "logs contain {secret:?}:\n{logs}");
    }
}

fn failures(answer: &Value) -> Vec<Value> {
    answer["failed"]
        .as_array()
        .cloned()
        .expect("failed is a list")
}

#[tokio::test]
async fn every_sample_gets_its_expected_answer_from_a_healthy_endpoint() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[]).await;
    let mut expected_events = 0;
    for name in ["direct", "direct-batch", "sqs", "eventbridge"] {
        let answer = function
            .invoke(&sample(&format!("{name}.json")))
            .await
            .expect_response();
        assert_eq!(answer, sample(&format!("{name}.expected.json")), "{name}");
        expected_events += answer["published"].as_u64().unwrap_or(0);
    }
    expected_events += 3; // the SQS sample's events
    let requests = fake.requests().await;
    assert!(
        requests
            .iter()
            .all(|r| r["accepted"] == true && r["status"] == 200),
        "{requests:#?}"
    );
    assert!(requests.iter().all(|r| r["securityToken"] == SESSION_TOKEN));
    assert_eq!(fake.delivered().await.len() as u64, expected_events);
    let logs = function.logs().join("\n");
    assert!(logs.contains("publisher configured"), "{logs}");
    assert!(logs.contains("\"region\":\"us-east-1\""), "{logs}");
    assert!(logs.contains("\"region_source\":\"fallback\""), "{logs}");
    assert!(logs.contains("\"endpoint_host\":\"127.0.0.1\""), "{logs}");
    assert_no_secrets(&function);
}

#[tokio::test]
async fn a_development_ca_in_events_dev_ca_pem_is_the_only_one_trusted_for_a_loopback_endpoint() {
    let mut fake = FakeEvents::start().await;
    let target = format!("127.0.0.1:{}", fake.port).parse().expect("address");
    let front = testkit::tls_front::TlsFront::start(target).await;
    let ca = std::fs::read_to_string(front.ca_path()).expect("the front's CA");
    let endpoint = front.base();
    let input = json!({"channel": "/default/tls", "events": [{"n": 1}]});

    // The way `sam local invoke` hands the publisher local-events' CA: the PEM text itself.
    let trusted = publisher(
        &fake,
        &[("EVENTS_ENDPOINT", &endpoint), ("EVENTS_DEV_CA_PEM", &ca)],
    )
    .await;
    let answer = trusted.invoke(&input).await.expect_response();
    assert_eq!(answer, json!({"published": 1, "failed": []}));
    assert_eq!(fake.delivered_to("/default/tls").await, [json!({"n": 1})]);
    let logs = trusted.logs().join("\n");
    assert!(logs.contains("\"development_ca\":true"), "{logs}");
    assert!(!logs.contains("BEGIN CERTIFICATE"), "{logs}");

    // Without it the system's roots apply, and they do not know this CA.
    let untrusted = publisher(
        &fake,
        &[
            ("EVENTS_ENDPOINT", &endpoint),
            ("PUBLISH_MAX_ATTEMPTS", "1"),
        ],
    )
    .await;
    let answer = untrusted.invoke(&input).await.expect_response();
    assert_eq!(answer["published"], 0, "{answer}");
    assert_eq!(fake.delivered_to("/default/tls").await.len(), 1);
}

#[tokio::test]
async fn more_than_five_events_are_batched_in_order_per_channel() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[]).await;
    let a = numbered("/default/a", 0..12);
    let b = numbered("/default/b", 0..3);
    let answer = function
        .invoke(&json!([
            {"channel": "/default/a", "events": a[..7]},
            {"channel": "/default/b", "events": b},
            {"channel": "/default/a", "events": a[7..]},
        ]))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 15, "failed": []}));
    let sizes: Vec<_> = fake
        .requests()
        .await
        .iter()
        .filter(|r| r["channel"] == "/default/a")
        .map(|r| r["events"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [5, 2, 5]);
    assert_eq!(fake.delivered_to("/default/a").await, a);
    assert_eq!(fake.delivered_to("/default/b").await, b);
}

#[tokio::test]
async fn sqs_reports_exactly_the_failed_and_malformed_messages() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[]).await;
    fake.fault(json!([{
        "channel": "/default/broken",
        "status": 400,
        "body": {"errors": [{"errorType": "BadRequestException", "message": "namespace rejected"}]}
    }]))
    .await;
    let record = |id: &str, body: Value| {
        let body = match body {
            Value::String(s) => s,
            other => other.to_string(),
        };
        json!({"messageId": id, "body": body, "eventSource": "aws:sqs",
               "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:q", "awsRegion": "us-east-1"})
    };
    let event = json!({"Records": [
        record("ok-1", json!({"channel": "/default/ok", "events": [1, 2]})),
        record("malformed-2", json!("{not json")),
        record("broken-3", json!({"channel": "/default/broken", "events": [3]})),
        record("wildcard-4", json!({"channel": "/default/*", "events": [4]})),
        record("no-events-5", json!({"channel": "/default/ok", "events": []})),
        record("ok-6", json!({"channel": "/default/ok", "events": [6]})),
    ]});
    let answer = function.invoke(&event).await.expect_response();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [
            {"itemIdentifier": "malformed-2"},
            {"itemIdentifier": "broken-3"},
            {"itemIdentifier": "wildcard-4"},
            {"itemIdentifier": "no-events-5"},
        ]})
    );
    assert_eq!(
        fake.delivered_to("/default/ok").await,
        [json!(1), json!(2), json!(6)]
    );
    let requests = fake.requests().await;
    assert_eq!(
        requests.len(),
        3,
        "nothing sent for malformed or refused messages: {requests:#?}"
    );
    assert!(!requests.iter().any(|r| r["channel"] == "/default/*"));
    let logs = function.logs().join("\n");
    assert!(logs.contains("malformed SQS message"), "{logs}");
}

#[tokio::test]
async fn eventbridge_success_answers_and_failure_is_an_error() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[]).await;
    let event = sample("eventbridge.json");
    let answer = function.invoke(&event).await.expect_response();
    assert_eq!(answer, json!({"published": 1, "failed": []}));

    fake.fault(json!([{"status": 403, "body": {"errors": [{"errorType": "UnauthorizedException", "message": "not allowed to publish"}]}}]))
        .await;
    match function.invoke(&event).await {
        Outcome::Error(error) => {
            assert_eq!(error["errorType"], "PublishIncomplete", "{error}");
            let message = error["errorMessage"].as_str().unwrap_or_default();
            assert!(
                message
                    .contains("HTTP 403 Forbidden: UnauthorizedException: not allowed to publish"),
                "{message}"
            );
        }
        Outcome::Response(answer) => panic!("expected an error, got {answer}"),
    }
    assert_eq!(fake.requests().await.len(), 2, "a 403 is not retried");
}

#[tokio::test]
async fn server_errors_throttling_resets_and_timeouts_are_retried_then_delivered_once() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(
        &fake,
        &[
            ("PUBLISH_MAX_ATTEMPTS", "5"),
            ("PUBLISH_REQUEST_TIMEOUT_MS", "400"),
        ],
    )
    .await;
    fake.fault(json!([
        {"status": 500},
        {"status": 429, "body": {"message": "Rate exceeded"}},
        {"reset": true},
        {"delayMs": 1200, "status": 503},
    ]))
    .await;
    let events = numbered("/default/retry", 0..3);
    let answer = function
        .invoke(&json!({"channel": "/default/retry", "events": events}))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 3, "failed": []}));
    let statuses: Vec<_> = fake
        .requests()
        .await
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!(500), json!(429), json!(0), json!(503), json!(200)]
    );
    assert_eq!(fake.delivered_to("/default/retry").await, events);
    let logs = function.logs().join("\n");
    assert!(logs.contains("retrying publish"), "{logs}");
    assert!(logs.contains("timed out"), "{logs}");
}

#[tokio::test]
async fn only_events_failed_inside_a_200_are_resent_and_none_twice() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[]).await;
    fake.fault(json!([{"failIndices": [1, 3], "errorCode": 500, "errorMessage": "internal"}]))
        .await;
    let events = numbered("/default/partial", 0..5);
    let answer = function
        .invoke(&json!({"channel": "/default/partial", "events": events}))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 5, "failed": []}));
    let requests = fake.requests().await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1]["events"], json!([events[1], events[3]]));
    let delivered = fake.delivered_to("/default/partial").await;
    assert_eq!(delivered.len(), 5, "{delivered:#?}");
    for event in &events {
        assert_eq!(
            delivered.iter().filter(|d| *d == event).count(),
            1,
            "{event} delivered once"
        );
    }
}

#[tokio::test]
async fn client_errors_are_reported_with_the_service_message_and_not_retried() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[]).await;
    fake.fault(json!([{"status": 400, "body": {"errors": [{"errorType": "BadRequestException", "message": "Channel namespace not found"}]}}]))
        .await;
    let answer = function
        .invoke(&json!({"channel": "/default/x", "events": [1, 2]}))
        .await
        .expect_response();
    assert_eq!(answer["published"], 0);
    let failed = failures(&answer);
    assert_eq!(failed.len(), 2);
    assert_eq!(
        failed[0],
        json!({"channel": "/default/x", "index": 0,
               "reason": "HTTP 400 Bad Request: BadRequestException: Channel namespace not found"})
    );
    assert_eq!(fake.requests().await.len(), 1);
}

#[tokio::test]
async fn bad_channels_and_oversize_events_are_refused_with_nothing_sent() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[]).await;
    let big = "x".repeat(240 * 1024);
    let answer = function
        .invoke(&json!([
            {"channel": "/default/*", "events": [1]},
            {"channel": "default/no-slash", "events": [1]},
            {"channel": "/default/big", "events": [1, big]},
        ]))
        .await
        .expect_response();
    assert_eq!(answer["published"], 0);
    let failed = failures(&answer);
    let reason = |i: usize| failed[i]["reason"].as_str().unwrap_or_default().to_owned();
    assert_eq!(failed.len(), 4);
    assert!(
        reason(0).contains("\"/default/*\"") && reason(0).contains("wildcard"),
        "{}",
        reason(0)
    );
    assert!(reason(1).contains("default/no-slash"), "{}", reason(1));
    assert_eq!(
        (failed[2]["index"].clone(), failed[3]["index"].clone()),
        (json!(0), json!(1))
    );
    assert!(
        reason(3).contains("event 1 for channel \"/default/big\""),
        "{}",
        reason(3)
    );
    assert!(fake.requests().await.is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn a_signature_for_the_wrong_region_is_rejected_by_the_endpoint() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[("EVENTS_REGION", "eu-west-1")]).await;
    let answer = function
        .invoke(&json!({"channel": "/default/r", "events": [1]}))
        .await
        .expect_response();
    let failed = failures(&answer);
    assert_eq!(failed.len(), 1);
    let reason = failed[0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("HTTP 403 Forbidden: InvalidSignatureException: Credential should be scoped to a valid region, not 'eu-west-1'"),
        "{reason}"
    );
    let requests = fake.requests().await;
    assert_eq!(requests.len(), 1, "a 403 is not retried");
    assert_eq!(requests[0]["accepted"], false);
    let logs = function.logs().join("\n");
    assert!(logs.contains("\"region\":\"eu-west-1\""), "{logs}");
    assert!(logs.contains("\"region_source\":\"explicit\""), "{logs}");
}

#[tokio::test]
async fn a_signature_mismatch_is_reported_without_the_canonical_request_or_token() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[("AWS_SECRET_ACCESS_KEY", "not-the-right-secret")]).await;
    let answer = function
        .invoke(&json!({"channel": "/default/s", "events": [1]}))
        .await
        .expect_response();
    let reason = failures(&answer)[0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.contains("The request signature we calculated does not match"),
        "{reason}"
    );
    assert!(
        !reason.contains(SESSION_TOKEN) && !reason.contains("Canonical"),
        "{reason}"
    );
    assert_eq!(fake.requests().await[0]["accepted"], false);
    assert_no_secrets(&function);
}

#[tokio::test]
async fn retries_stop_in_time_to_answer_before_the_invocation_deadline() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(&fake, &[("PUBLISH_MAX_ATTEMPTS", "20")]).await;
    fake.fault(json!([{"status": 503, "times": 1000}])).await;
    let started = Instant::now();
    let outcome = function
        .invoke_with(
            &json!({"channel": "/default/d", "events": [1]}),
            Duration::from_secs(2),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after the deadline"
    );
    let answer = outcome.expect_response();
    let reason = failures(&answer)[0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.starts_with("HTTP 503"), "{reason}");
    assert!(reason.contains("deadline"), "{reason}");
    assert!(
        fake.requests().await.len() > 1,
        "retried while time remained"
    );
}

#[tokio::test]
async fn events_api_id_is_resolved_once_with_get_api() {
    let mut fake = FakeEvents::start_with(&["--api-id", "fakeapiid0123456789abcdefg"]).await;
    let endpoint = fake.url();
    let function = LambdaProcess::start(
        &binary("publisher"),
        &[
            ("EVENTS_API_ID", "fakeapiid0123456789abcdefg"),
            ("AWS_ENDPOINT_URL_APPSYNC", &endpoint),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ],
    )
    .await;
    for n in 0..2 {
        let answer = function
            .invoke(&json!({"channel": "/default/api", "events": [n]}))
            .await
            .expect_response();
        assert_eq!(answer, json!({"published": 1, "failed": []}));
    }
    assert_eq!(
        fake.delivered_to("/default/api").await,
        [json!(0), json!(1)]
    );
    let logs = function.logs().join("\n");
    assert!(
        logs.contains("\"endpoint_from\":\"EVENTS_API_ID\""),
        "{logs}"
    );
    assert_no_secrets(&function);
}

#[tokio::test]
async fn bad_configuration_stops_init_naming_the_variable() {
    let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("EVENTS_ENDPOINT", "http://events.example.com")],
            "EVENTS_ENDPOINT",
        ),
        (
            &[
                (
                    "EVENTS_ENDPOINT",
                    "https://abc.appsync-api.us-east-1.amazonaws.com",
                ),
                ("EVENTS_DEV_CA_PEM", ca),
            ],
            "EVENTS_DEV_CA_PEM",
        ),
        (&[("EVENTS_ENDPOINT", "")], "EVENTS_ENDPOINT"),
        (&[("PUBLISH_CONCURRENCY", "0")], "PUBLISH_CONCURRENCY"),
        (&[("EVENTS_REGION", "Not A Region")], "EVENTS_REGION"),
    ];
    for (overrides, variable) in cases {
        let mut env = base_env("http://127.0.0.1:9");
        env.extend_from_slice(overrides);
        let mut function = LambdaProcess::spawn(&binary("publisher"), &env).await;
        function.wait_exit(Duration::from_secs(20)).await;
        let logs = function.logs().join("\n");
        assert!(
            logs.contains("init failed") && logs.contains(variable),
            "{variable}: {logs}"
        );
        assert_no_secrets(&function);
    }
}

#[tokio::test]
async fn an_unknown_events_api_id_stops_init() {
    let fake = FakeEvents::start_with(&["--api-id", "theapiid"]).await;
    let endpoint = fake.url();
    let mut function = LambdaProcess::spawn(
        &binary("publisher"),
        &[
            ("EVENTS_API_ID", "someotherapi"),
            ("AWS_ENDPOINT_URL_APPSYNC", &endpoint),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ],
    )
    .await;
    function.wait_exit(Duration::from_secs(20)).await;
    let logs = function.logs().join("\n");
    assert!(
        logs.contains("init failed") && logs.contains("EVENTS_API_ID"),
        "{logs}"
    );
    assert!(
        logs.contains("GetApi(someotherapi) failed") && logs.contains("not found"),
        "{logs}"
    );
    assert_no_secrets(&function);
}

/// The CloudWatch EMF lines the function printed, parsed.
fn metric_lines(function: &LambdaProcess) -> Vec<Value> {
    function
        .logs()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect()
}

#[tokio::test]
async fn metrics_count_published_failed_retried_and_time_each_request() {
    let mut fake = FakeEvents::start().await;
    let function = publisher(
        &fake,
        &[
            ("METRICS_ENABLED", "true"),
            ("METRICS_NAMESPACE", "E2E/Publisher"),
            ("AWS_LAMBDA_FUNCTION_NAME", "e2e-publisher"),
        ],
    )
    .await;
    fake.fault(json!([{"status": 500}])).await;
    let answer = function
        .invoke(&json!({"channel": "/default/m", "events": [1, 2]}))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 2, "failed": []}));
    fake.fault(json!([{"status": 400, "body": {"errors": [{"errorType": "BadRequestException", "message": "no"}]}}]))
        .await;
    function
        .invoke(&json!({"channel": "/default/m", "events": [3]}))
        .await
        .expect_response();
    let mut lines = Vec::new();
    for _ in 0..100 {
        lines = metric_lines(&function);
        if lines.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(lines.len(), 2, "one line per invocation: {lines:#?}");
    let directive = json!([{"Namespace": "E2E/Publisher", "Dimensions": [["FunctionName"]], "Metrics": [
        {"Name": "EventsPublished", "Unit": "Count"}, {"Name": "EventsFailed", "Unit": "Count"},
        {"Name": "PublishRetries", "Unit": "Count"}, {"Name": "RequestLatency", "Unit": "Milliseconds"}]}]);
    for line in &lines {
        assert_eq!(line["_aws"]["CloudWatchMetrics"], directive, "{line}");
        assert!(line["_aws"]["Timestamp"].as_u64().is_some(), "{line}");
        assert_eq!(line["FunctionName"], "e2e-publisher");
    }
    let counts = |l: &Value| {
        (
            l["EventsPublished"].clone(),
            l["EventsFailed"].clone(),
            l["PublishRetries"].clone(),
            l["RequestLatency"].as_array().map(Vec::len),
        )
    };
    assert_eq!(counts(&lines[0]), (json!(2), json!(0), json!(1), Some(2)));
    assert_eq!(counts(&lines[1]), (json!(0), json!(1), json!(0), Some(1)));
    assert!(
        lines[0]["RequestLatency"]
            .as_array()
            .is_some_and(|v| v.iter().all(|ms| ms.as_f64().is_some_and(|ms| ms > 0.0))),
        "{}",
        lines[0]
    );
    assert_no_secrets(&function);
}
