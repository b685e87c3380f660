//! End-to-end tests of the `local-events` binary (the development stand-in for the Events
//! endpoint): started for real on a free loopback port, with the real `publisher` binary,
//! under the Lambda Runtime API, as its client — the pair `scripts/dev.sh` runs.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e::binaries::{binary, workspace_root};
use e2e::runtime::{LambdaProcess, Outcome};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const ACCESS_KEY: &str = "AKIDE2ELOCALEVENTS01";
const SECRET_KEY: &str = "e2e/LocalEvents+Secret+Key+0123456789abc";

/// A running `local-events`; killed on drop.
struct LocalEvents {
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    url: String,
}

impl LocalEvents {
    async fn start(args: &[&str]) -> Self {
        let mut child = spawn(args);
        let logs = capture(&mut child);
        let start = Instant::now();
        let url = loop {
            if let Some(url) = listening_url(&logs.lock().expect("lock")) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "local-events exited with {status}: {:?}",
                    logs.lock().expect("lock")
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "local-events not listening after 30 s: {:?}",
                logs.lock().expect("lock")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Self { child, logs, url }
    }

    fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("lock").clone()
    }

    /// Log lines containing every one of `needles`.
    fn lines_with(&self, needles: &[&str]) -> Vec<String> {
        self.logs()
            .into_iter()
            .filter(|line| needles.iter().all(|n| line.contains(n)))
            .collect()
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(binary("local-events"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_clear()
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("local-events spawns")
}

/// Collects stdout and stderr lines as they arrive.
fn capture(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    for stream in [
        Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
        Box::new(stderr),
    ] {
        let logs = logs.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                logs.lock().expect("lock").push(line);
            }
        });
    }
    logs
}

/// `http://127.0.0.1:<port>` from the "listening: POST http://…/event" line.
fn listening_url(logs: &[String]) -> Option<String> {
    logs.iter().find_map(|line| {
        let rest = line.split("listening: POST ").nth(1)?;
        rest.split("/event").next().map(str::to_owned)
    })
}

async fn publisher(endpoint: &str) -> LambdaProcess {
    LambdaProcess::start(
        &binary("publisher"),
        &[
            ("EVENTS_ENDPOINT", endpoint),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
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

async fn wait_for_lines(events: &LocalEvents, needles: &[&str], count: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let lines = events.lines_with(needles);
        if lines.len() >= count || start.elapsed() > Duration::from_secs(5) {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn publisher_events_arrive_signed_for_appsync_in_the_configured_region() {
    let events = LocalEvents::start(&["--region", "us-east-1", "--namespace", "default"]).await;
    let function = publisher(&events.url).await;

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

    let received = wait_for_lines(&events, &["event received", "channel=/default/orders"], 2).await;
    assert_eq!(received.len(), 2, "one line per event: {:?}", events.logs());
    let accepted = events.lines_with(&["publish accepted", "signed_region=us-east-1"]);
    assert_eq!(accepted.len(), 1, "{:?}", events.logs());
    assert!(
        accepted[0].contains("signed_service=appsync"),
        "{}",
        accepted[0]
    );

    for line in events.logs() {
        assert!(!line.contains(ACCESS_KEY), "access key logged: {line}");
        assert!(!line.contains(SECRET_KEY), "secret logged: {line}");
        assert!(!line.contains("Signature="), "signature logged: {line}");
    }
}

#[tokio::test]
async fn a_publish_signed_for_another_region_is_refused_with_both_regions_named() {
    let events = LocalEvents::start(&["--region", "eu-west-1"]).await;
    let function = publisher(&events.url).await;

    let answer = function
        .invoke(&sample("direct.json"))
        .await
        .expect_response();
    assert_eq!(answer["published"], 0, "{answer}");
    assert_eq!(
        answer["failed"].as_array().map(Vec::len),
        Some(2),
        "{answer}"
    );

    let refused = wait_for_lines(&events, &["publish refused", "status=401"], 1).await;
    assert_eq!(
        refused.len(),
        1,
        "a 401 is not retried: {:?}",
        events.logs()
    );
    assert!(
        refused[0].contains("us-east-1") && refused[0].contains("eu-west-1"),
        "{}",
        refused[0]
    );
    assert!(events.lines_with(&["event received"]).is_empty());
}

#[tokio::test]
async fn a_channel_outside_the_configured_namespaces_is_a_bad_request_not_retried() {
    let events = LocalEvents::start(&["--namespace", "other"]).await;
    let function = publisher(&events.url).await;

    let answer = function
        .invoke(&sample("direct.json"))
        .await
        .expect_response();
    assert_eq!(answer["published"], 0, "{answer}");

    let refused = wait_for_lines(
        &events,
        &["publish refused", "status=400", "BadRequestException"],
        1,
    )
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
    let events = LocalEvents::start(&["--namespace", "other"]).await;
    let function = publisher(&events.url).await;
    let outcome = function.invoke(&sample("eventbridge.json")).await;
    assert!(matches!(outcome, Outcome::Error(_)), "{outcome:?}");
}

#[tokio::test]
async fn sigterm_stops_it_gracefully() {
    let mut events = LocalEvents::start(&[]).await;
    let pid = events.child.id().expect("running").to_string();
    // The shell's built-in kill: /bin/kill (procps) is not on every minimal image.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .expect("sh runs");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), events.child.wait())
        .await
        .expect("exits within 10 s")
        .expect("waits");
    assert!(exit.success(), "{exit}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        events.lines_with(&["local-events stopped"]).len(),
        1,
        "{:?}",
        events.logs()
    );
}

#[tokio::test]
async fn invalid_arguments_stop_it_with_a_message_naming_them() {
    for (args, named) in [
        (&["--listen", "0.0.0.0:0"][..], "--allow-remote"),
        (&["--namespace", "not_valid"][..], "--namespace"),
        (&["--bogus"][..], "--bogus"),
    ] {
        let mut child = Command::new(binary("local-events"))
            .args(args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawns");
        let logs = capture(&mut child);
        let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("exits")
            .expect("waits");
        assert_eq!(exit.code(), Some(2), "{args:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let logs = logs.lock().expect("lock").join("\n");
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
        stdout.contains("--namespace") && stdout.contains("development-only"),
        "{stdout}"
    );
}
