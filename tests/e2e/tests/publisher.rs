//! End-to-end tests of the `publisher` binary: the real function under the Lambda Runtime
//! API, publishing to a loopback fake of the AppSync Events endpoint
//! ([`testkit::events_fake`]) that verifies every SigV4 signature with an independent
//! verifier (checked against botocore's vectors) and injects faults on command.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::binaries::{binary, workspace_root};
use testkit::events_fake::{EventsFake, EventsFakeConfig, Fault};
use testkit::logs::settled_metric_lines;
use testkit::runtime::{LambdaProcess, Outcome};

const ACCESS_KEY: &str = "AKIDE2EPUBLISHER0001";
const SECRET_KEY: &str = "e2e/Publisher+Secret+Key+0123456789abcdef";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjE2e2eSessionTokenValue0123456789";

/// The fake endpoint, expecting the test credentials.
async fn fake_events() -> EventsFake {
    EventsFake::start(config()).await
}

fn config() -> EventsFakeConfig {
    EventsFakeConfig::new(ACCESS_KEY, SECRET_KEY)
        .session_token(SESSION_TOKEN)
        .region("us-east-1")
}

/// The publisher, configured for `fake`, with test credentials; `extra` overrides.
async fn publisher(fake: &EventsFake, extra: &[(&str, &str)]) -> LambdaProcess {
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
    let fake = fake_events().await;
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
    let requests = fake.requests();
    assert!(
        requests.iter().all(|r| r.accepted && r.status == 200),
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.security_token.as_deref() == Some(SESSION_TOKEN))
    );
    assert_eq!(fake.delivered().len() as u64, expected_events);
    let logs = function.logs().join("\n");
    assert!(logs.contains("publisher configured"), "{logs}");
    assert!(logs.contains("\"region\":\"us-east-1\""), "{logs}");
    assert!(logs.contains("\"region_source\":\"fallback\""), "{logs}");
    assert!(logs.contains("\"endpoint_host\":\"127.0.0.1\""), "{logs}");
    assert_no_secrets(&function);
}

#[tokio::test]
async fn a_development_ca_in_events_dev_ca_pem_is_the_only_one_trusted_for_a_loopback_endpoint() {
    let fake = fake_events().await;
    let front = testkit::tls_front::TlsFront::start(fake.addr()).await;
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
    assert_eq!(fake.delivered_to("/default/tls"), [json!({"n": 1})]);
    let logs = trusted.logs().join("\n");
    assert!(logs.contains("\"development_ca\":true"), "{logs}");
    assert!(!logs.contains("BEGIN CERTIFICATE"), "{logs}");

    // Without it the compiled-in roots apply, and they do not know this CA, even when it is
    // the system's trust store: that store is never read.
    let ca_file = front.ca_path().to_string_lossy().into_owned();
    let untrusted = publisher(
        &fake,
        &[
            ("EVENTS_ENDPOINT", &endpoint),
            ("PUBLISH_MAX_ATTEMPTS", "1"),
            ("SSL_CERT_FILE", &ca_file),
        ],
    )
    .await;
    let answer = untrusted.invoke(&input).await.expect_response();
    assert_eq!(answer["published"], 0, "{answer}");
    assert_eq!(fake.delivered_to("/default/tls").len(), 1);
}

#[tokio::test]
async fn more_than_five_events_are_batched_in_order_per_channel() {
    let fake = fake_events().await;
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
        .iter()
        .filter(|r| r.channel.as_deref() == Some("/default/a"))
        .map(|r| r.events.len())
        .collect();
    assert_eq!(sizes, [5, 2, 5]);
    assert_eq!(fake.delivered_to("/default/a"), a);
    assert_eq!(fake.delivered_to("/default/b"), b);
}

#[tokio::test]
async fn sqs_reports_exactly_the_failed_and_malformed_messages() {
    let fake = fake_events().await;
    let function = publisher(&fake, &[]).await;
    fake.fault([
        Fault::error(400, "BadRequestException", "namespace rejected")
            .on_channel("/default/broken"),
    ]);
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
        fake.delivered_to("/default/ok"),
        [json!(1), json!(2), json!(6)]
    );
    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        3,
        "nothing sent for malformed or refused messages: {requests:#?}"
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.channel.as_deref() == Some("/default/*"))
    );
    let logs = function.logs().join("\n");
    assert!(logs.contains("malformed SQS message"), "{logs}");
}

#[tokio::test]
async fn eventbridge_success_answers_and_failure_is_an_error() {
    let fake = fake_events().await;
    let function = publisher(&fake, &[]).await;
    let event = sample("eventbridge.json");
    let answer = function.invoke(&event).await.expect_response();
    assert_eq!(answer, json!({"published": 1, "failed": []}));

    fake.fault([Fault::error(
        403,
        "UnauthorizedException",
        "not allowed to publish",
    )]);
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
    assert_eq!(fake.requests().len(), 2, "a 403 is not retried");
}

#[tokio::test]
async fn server_errors_throttling_resets_and_timeouts_are_retried_then_delivered_once() {
    let fake = fake_events().await;
    let function = publisher(
        &fake,
        &[
            ("PUBLISH_MAX_ATTEMPTS", "5"),
            ("PUBLISH_REQUEST_TIMEOUT_MS", "400"),
        ],
    )
    .await;
    fake.fault([
        Fault::status(500),
        Fault::status(429).body(json!({"message": "Rate exceeded"})),
        Fault::reset(),
        Fault::status(503).delayed(Duration::from_millis(1200)),
    ]);
    let events = numbered("/default/retry", 0..3);
    let answer = function
        .invoke(&json!({"channel": "/default/retry", "events": events}))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 3, "failed": []}));
    let statuses: Vec<_> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 0, 503, 200]);
    assert_eq!(fake.delivered_to("/default/retry"), events);
    let logs = function.logs().join("\n");
    assert!(logs.contains("retrying publish"), "{logs}");
    assert!(logs.contains("timed out"), "{logs}");
}

#[tokio::test]
async fn only_events_failed_inside_a_200_are_resent_and_none_twice() {
    let fake = fake_events().await;
    let function = publisher(&fake, &[]).await;
    fake.fault([Fault::fail_events(&[1, 3]).event_error(500, "internal")]);
    let events = numbered("/default/partial", 0..5);
    let answer = function
        .invoke(&json!({"channel": "/default/partial", "events": events}))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 5, "failed": []}));
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].events, [events[1].clone(), events[3].clone()]);
    let delivered = fake.delivered_to("/default/partial");
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
    let fake = fake_events().await;
    let function = publisher(&fake, &[]).await;
    fake.fault([Fault::error(
        400,
        "BadRequestException",
        "Channel namespace not found",
    )]);
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
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn bad_channels_and_oversize_events_are_refused_with_nothing_sent() {
    let fake = fake_events().await;
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
    assert!(fake.requests().is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn a_signature_for_the_wrong_region_is_rejected_by_the_endpoint() {
    let fake = fake_events().await;
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
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "a 403 is not retried");
    assert!(!requests[0].accepted);
    let logs = function.logs().join("\n");
    assert!(logs.contains("\"region\":\"eu-west-1\""), "{logs}");
    assert!(logs.contains("\"region_source\":\"explicit\""), "{logs}");
}

#[tokio::test]
async fn a_signature_mismatch_is_reported_without_the_canonical_request_or_token() {
    let fake = fake_events().await;
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
    assert!(!fake.requests()[0].accepted);
    assert_no_secrets(&function);
}

#[tokio::test]
async fn retries_stop_in_time_to_answer_before_the_invocation_deadline() {
    let fake = fake_events().await;
    let function = publisher(&fake, &[("PUBLISH_MAX_ATTEMPTS", "20")]).await;
    fake.fault([Fault::status(503).times(1000)]);
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
    assert!(fake.requests().len() > 1, "retried while time remained");
}

#[tokio::test]
async fn events_api_id_is_resolved_once_with_get_api() {
    let fake = EventsFake::start(config().api_id("fakeapiid0123456789abcdefg")).await;
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
    assert_eq!(fake.delivered_to("/default/api"), [json!(0), json!(1)]);
    let logs = function.logs().join("\n");
    assert!(
        logs.contains("\"endpoint_from\":\"EVENTS_API_ID\""),
        "{logs}"
    );
    assert_no_secrets(&function);
}

/// Without Lambda's credential variables (a developer's `cargo lambda watch`), the AWS
/// SDK's default chain finds them: here in a shared credentials file.
#[tokio::test]
async fn without_credential_variables_the_default_chain_finds_a_profile() {
    let fake = fake_events().await;
    let endpoint = fake.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\naws_session_token = {SESSION_TOKEN}\n"
        ),
    )
    .expect("credentials file");
    let config_file = dir.path().join("config");
    std::fs::write(&config_file, "").expect("config file");
    let function = LambdaProcess::start(
        &binary("publisher"),
        &[
            ("EVENTS_ENDPOINT", &endpoint),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                &credentials.to_string_lossy(),
            ),
            ("AWS_CONFIG_FILE", &config_file.to_string_lossy()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    )
    .await;
    let answer = function
        .invoke(&json!({"channel": "/default/profile", "events": [1]}))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 1, "failed": []}));
    assert_eq!(fake.delivered_to("/default/profile"), [json!(1)]);
    assert_no_secrets(&function);
}

#[tokio::test]
async fn no_credentials_anywhere_stops_init() {
    let mut function = LambdaProcess::spawn(
        &binary("publisher"),
        &[
            ("EVENTS_ENDPOINT", "http://127.0.0.1:9"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    )
    .await;
    function.wait_exit(Duration::from_secs(20)).await;
    let logs = function.logs().join("\n");
    assert!(
        logs.contains("init failed") && logs.contains("no usable AWS credentials"),
        "{logs}"
    );
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
    let fake = EventsFake::start(config().api_id("theapiid")).await;
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

#[tokio::test]
async fn metrics_count_published_failed_retried_and_time_each_request() {
    let fake = fake_events().await;
    let function = publisher(
        &fake,
        &[
            ("METRICS_ENABLED", "true"),
            ("METRICS_NAMESPACE", "E2E/Publisher"),
            ("AWS_LAMBDA_FUNCTION_NAME", "e2e-publisher"),
        ],
    )
    .await;
    fake.fault([Fault::status(500)]);
    let answer = function
        .invoke(&json!({"channel": "/default/m", "events": [1, 2]}))
        .await
        .expect_response();
    assert_eq!(answer, json!({"published": 2, "failed": []}));
    fake.fault([Fault::error(400, "BadRequestException", "no")]);
    function
        .invoke(&json!({"channel": "/default/m", "events": [3]}))
        .await
        .expect_response();
    let lines = settled_metric_lines(&function, 2).await;
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
