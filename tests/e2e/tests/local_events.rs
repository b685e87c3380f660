//! The real `local-events` binary with the real `publisher` binary (under the Lambda
//! Runtime API) as its IAM client — its SigV4 signatures checked by local-events' own,
//! independent verifier — plus TLS mode and the `subscribe` / `publish` commands.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::binaries::{binary, workspace_root};
use testkit::dev_loop::{ACCESS_KEY, Authorizer, LocalEvents, SECRET_KEY, Ws, capture, token};
use testkit::runtime::{LambdaProcess, Outcome};
use tokio::process::Command;

async fn publisher(endpoint: &str, region: &str, secret: &str) -> LambdaProcess {
    LambdaProcess::start(
        &binary("publisher"),
        &[
            ("EVENTS_ENDPOINT", endpoint),
            ("AWS_REGION", region),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("PUBLISH_MAX_ATTEMPTS", "3"),
        ],
    )
    .await
}

fn sample(name: &str) -> Value {
    let path = workspace_root().join("events/publisher").join(name);
    let text = std::fs::read_to_string(&path).expect("publisher sample exists");
    serde_json::from_str(&text).expect("sample is JSON")
}

#[tokio::test]
async fn an_iam_signed_publish_from_the_publisher_is_verified_and_reaches_a_lambda_subscriber() {
    let authorizer = Authorizer::dev().await;
    let url = authorizer.invoke.url();
    let events = LocalEvents::start(&["--authorizer-url", &url], &[]).await;
    let user = token("user-1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    assert_eq!(
        ws.subscribe("orders", "/default/orders", &user, events.authority())
            .await["type"],
        "subscribe_success"
    );

    let function = publisher(&events.url, "us-east-1", SECRET_KEY).await;
    let answer = function
        .invoke(&sample("direct.json"))
        .await
        .expect_response();
    assert_eq!(
        answer,
        sample("direct.expected.json"),
        "logs: {:?}",
        events.logs()
    );
    for order in ["o-1001", "o-1002"] {
        let data = ws.next().await;
        let event: Value =
            serde_json::from_str(data["event"].as_str().expect("event")).expect("JSON");
        assert_eq!(event["orderId"], order);
    }
    let authorized = events.lines_with(&["authorized", "EVENT_PUBLISH", "mode=AWS_IAM"]);
    assert_eq!(authorized.len(), 1, "{:?}", events.logs());
    assert!(
        !authorizer
            .questions()
            .iter()
            .any(|(op, _)| op == "EVENT_PUBLISH"),
        "an IAM publish never reaches the Lambda authorizer"
    );
    for line in events.logs() {
        assert!(!line.contains(ACCESS_KEY), "access key logged: {line}");
        assert!(!line.contains(SECRET_KEY), "secret logged: {line}");
        assert!(!line.contains("Signature="), "signature logged: {line}");
    }
}

#[tokio::test]
async fn a_publish_signed_for_another_region_is_refused_with_the_explaining_message_not_retried() {
    let events = LocalEvents::start(&["--region", "us-east-1"], &[]).await;
    let function = publisher(&events.url, "eu-west-1", SECRET_KEY).await;
    let answer = function
        .invoke(&sample("direct.json"))
        .await
        .expect_response();
    assert_eq!(answer["published"], 0, "{answer}");
    let refused = events
        .wait_for_lines(
            &["publish refused", "status=403", "InvalidSignatureException"],
            1,
        )
        .await;
    assert_eq!(
        refused.len(),
        1,
        "a 4xx is not retried: {:?}",
        events.logs()
    );
    assert!(
        refused[0].contains("signed for region eu-west-1, this endpoint is us-east-1"),
        "{}",
        refused[0]
    );
    assert!(events.lines_with(&["event received"]).is_empty());
}

#[tokio::test]
async fn a_publish_signed_with_another_secret_is_a_signature_mismatch_with_the_canonical_request() {
    let events = LocalEvents::start(&[], &[]).await;
    let function = publisher(&events.url, "us-east-1", "not-the-development-secret").await;
    let answer = function
        .invoke(&sample("direct.json"))
        .await
        .expect_response();
    assert_eq!(answer["published"], 0, "{answer}");
    let refused = events
        .wait_for_lines(&["publish refused", "InvalidSignatureException"], 1)
        .await;
    assert_eq!(refused.len(), 1, "{:?}", events.logs());
    assert!(
        refused[0].contains("signature does not match"),
        "{}",
        refused[0]
    );
    assert!(
        refused[0].contains("Canonical request computed here"),
        "{}",
        refused[0]
    );
}

#[tokio::test]
async fn a_channel_outside_the_configured_namespaces_is_a_bad_request_not_retried() {
    let events = LocalEvents::start(&["--namespace", "other"], &[]).await;
    let function = publisher(&events.url, "us-east-1", SECRET_KEY).await;
    let answer = function
        .invoke(&sample("direct.json"))
        .await
        .expect_response();
    assert_eq!(answer["published"], 0, "{answer}");
    let refused = events
        .wait_for_lines(&["publish refused", "status=400", "BadRequestException"], 1)
        .await;
    assert_eq!(
        refused.len(),
        1,
        "one request, not retried: {:?}",
        events.logs()
    );
    assert!(refused[0].contains("configured: other"), "{}", refused[0]);
}

#[tokio::test]
async fn an_eventbridge_failure_is_an_error_so_eventbridge_retries() {
    let events = LocalEvents::start(&["--namespace", "other"], &[]).await;
    let function = publisher(&events.url, "us-east-1", SECRET_KEY).await;
    let outcome = function.invoke(&sample("eventbridge.json")).await;
    assert!(matches!(outcome, Outcome::Error(_)), "{outcome:?}");
}

#[tokio::test]
async fn the_project_template_configures_modes_and_namespaces() {
    let template = workspace_root().join("template.yaml");
    let events =
        LocalEvents::start(&["--template", template.to_str().expect("utf-8 path")], &[]).await;
    let lines = events
        .wait_for_lines(
            &[
                "namespace",
                "namespace=default",
                "publish=AWS_LAMBDA, AWS_IAM",
                "subscribe=AWS_LAMBDA",
            ],
            1,
        )
        .await;
    assert_eq!(lines.len(), 1, "{:?}", events.logs());
    let auth = events.lines_with(&["auth_cache_ttl_secs=300", "connect=AWS_LAMBDA, AWS_IAM"]);
    assert_eq!(
        auth.len(),
        1,
        "AuthorizerResultTtlInSeconds from the template: {:?}",
        events.logs()
    );
}

#[tokio::test]
async fn tls_mode_serves_https_and_wss_that_the_cli_commands_use_with_the_development_ca() {
    let certs = std::env::temp_dir().join(format!("local-events-e2e-certs-{}", std::process::id()));
    let authorizer = Authorizer::dev().await;
    let url = authorizer.invoke.url();
    let cert_dir = certs.to_str().expect("utf-8").to_owned();
    let events = LocalEvents::start(
        &["--tls", "--cert-dir", &cert_dir, "--authorizer-url", &url],
        &[],
    )
    .await;
    assert!(
        events.url.starts_with("https://localhost:"),
        "{}",
        events.url
    );
    let ca = certs.join("ca.pem");
    assert!(
        events.lines_with(&["NODE_EXTRA_CA_CERTS=", "ca.pem"]).len() == 1,
        "{:?}",
        events.logs()
    );

    let user = token("user-1", 3600);
    let cli = |args: &[&str]| {
        let mut command = Command::new(binary("local-events"));
        command
            .args(args)
            .args([
                "--endpoint",
                &format!("{}/event", events.url),
                "--ca",
                ca.to_str().expect("utf-8"),
                "--token",
                &user,
            ])
            .env_clear()
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    };
    let mut subscriber = cli(&["subscribe", "/default/*", "--count", "2"])
        .spawn()
        .expect("spawns");
    let subscriber_logs = capture(&mut subscriber);
    let start = std::time::Instant::now();
    while !subscriber_logs
        .lock()
        .expect("lock")
        .iter()
        .any(|l| l.contains("subscribed"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            subscriber_logs.lock().expect("lock")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let over_http = cli(&["publish", "/default/cli", r#"{"via":"https"}"#])
        .output()
        .await
        .expect("runs");
    assert!(
        over_http.status.success(),
        "{}",
        String::from_utf8_lossy(&over_http.stderr)
    );
    let answer: Value = serde_json::from_slice(&over_http.stdout).expect("JSON answer");
    assert_eq!(answer["failed"], json!([]));
    let over_ws = cli(&["publish", "/default/cli", r#"{"via":"wss"}"#, "--ws"])
        .output()
        .await
        .expect("runs");
    assert!(
        over_ws.status.success(),
        "{}",
        String::from_utf8_lossy(&over_ws.stderr)
    );

    let exit = tokio::time::timeout(Duration::from_secs(20), subscriber.wait())
        .await
        .expect("exits after 2")
        .expect("waits");
    assert!(
        exit.success(),
        "{:?}",
        subscriber_logs.lock().expect("lock")
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let printed: Vec<String> = subscriber_logs
        .lock()
        .expect("lock")
        .iter()
        .filter(|l| l.starts_with('{'))
        .cloned()
        .collect();
    assert_eq!(printed, [r#"{"via":"https"}"#, r#"{"via":"wss"}"#]);

    let refused = cli(&["publish", "/default/cli", "1"])
        .arg("--token=supabase:not-a-jwt")
        .output()
        .await
        .expect("runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("UnauthorizedException"));
    let _ = std::fs::remove_dir_all(&certs);
}

#[tokio::test]
async fn invalid_arguments_stop_it_with_a_message_naming_them() {
    for (args, named) in [
        (&["--listen", "0.0.0.0:0"][..], "--allow-remote"),
        (&["--namespace", "not_valid"][..], "--namespace"),
        (
            &["--template", "/nonexistent.yaml"][..],
            "/nonexistent.yaml",
        ),
        (&["--auth-cache-key", "channel"][..], "--auth-cache-key"),
        (&["--bogus"][..], "--bogus"),
    ] {
        let output = Command::new(binary("local-events"))
            .args(args)
            .env_clear()
            .stdin(Stdio::null())
            .output()
            .await
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let logs = String::from_utf8_lossy(&output.stderr);
        assert!(logs.contains(named), "{args:?}: {logs}");
    }
}

#[tokio::test]
async fn help_prints_usage_and_exits_successfully() {
    let output = Command::new(binary("local-events"))
        .arg("--help")
        .env_clear()
        .output()
        .await
        .expect("runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("--template") && stdout.contains("development only"),
        "{stdout}"
    );
}
