//! The real `aws-amplify` Events client (npm, pinned in `tests/e2e/amplify/package.json`,
//! `ws@8` as its WebSocket) against the real `local-events` binary, which authorizes
//! through the real `authorizer` (Lambda mode, via a Lambda Invoke API) and verifies the
//! real `publisher`'s SigV4 signatures (IAM mode).
//!
//! Rust starts everything on loopback ports picked at run time, then runs `node --test` in
//! `tests/e2e/amplify` with the endpoint and development tokens in the environment, and a
//! loopback control server the Node tests call (`POST /publish`) to have the publisher
//! function publish once they are subscribed (a request/response rather than a marker line
//! on stdout, because `node --test` reports a test file's output only when it ends). Node's
//! TAP summary must show every test passed; the Rust side then checks what the authorizer
//! was asked and how local-events authorized it.
//!
//! Needs Node ≥ 20.14 and `npm ci --prefix tests/e2e/amplify` (CI runs it in `.ci/run`); a
//! missing install fails the test with that command.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use testkit::binaries::workspace_root;
use testkit::dev_loop::{Authorizer, LocalEvents, SECRET_KEY, token};
use testkit::node::run_tap;
use testkit::runtime::{LambdaProcess, Outcome};
use tokio::process::Command;

/// The caller's `sub`: a Supabase user id (a UUID, valid as a channel segment).
const SUB: &str = "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
/// The whole `node --test` run; each Node test also bounds itself (30 s) and each wait (10 s).
const NODE_RUN_LIMIT: Duration = Duration::from_secs(120);

/// Channel rules as an app would write them: each user owns `/users/<sub>/…`, everyone
/// reads and writes `/public/…`.
fn channel_rules() -> Value {
    json!({"channelRules": [
        {"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]},
        {"channel": "/public/*", "operations": ["subscribe", "publish"]},
    ]})
}

/// `tests/e2e/amplify`, or a message saying how to install it when `node_modules` is missing
/// or holds another aws-amplify than package.json pins.
fn amplify_project(dir: &Path) -> Result<PathBuf, String> {
    let install = "run `npm ci --prefix tests/e2e/amplify` (Node ≥ 20.14) first";
    let version = |path: PathBuf, pointer: &str| -> Option<String> {
        let text = std::fs::read_to_string(path).ok()?;
        let json: Value = serde_json::from_str(&text).ok()?;
        json.pointer(pointer)?.as_str().map(str::to_owned)
    };
    let pinned =
        version(dir.join("package.json"), "/devDependencies/aws-amplify").ok_or_else(|| {
            format!(
                "{} has no aws-amplify pin",
                dir.join("package.json").display()
            )
        })?;
    match version(
        dir.join("node_modules/aws-amplify/package.json"),
        "/version",
    ) {
        None => Err(format!(
            "{} is missing: {install}",
            dir.join("node_modules").display()
        )),
        Some(installed) if installed != pinned => Err(format!(
            "node_modules has aws-amplify {installed} but package.json pins {pinned}: {install}"
        )),
        Some(_) => Ok(dir.to_owned()),
    }
}

/// The loopback server the Node tests call to make the real publisher function publish:
/// `POST /publish` with the function's input answers 200 with its response, or 502 with
/// its error.
struct Control {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Control {
    async fn start(publisher: Arc<LambdaProcess>) -> Self {
        async fn publish(
            State(publisher): State<Arc<LambdaProcess>>,
            axum::Json(input): axum::Json<Value>,
        ) -> (StatusCode, axum::Json<Value>) {
            match publisher.invoke(&input).await {
                Outcome::Response(answer) => (StatusCode::OK, axum::Json(answer)),
                Outcome::Error(error) => (StatusCode::BAD_GATEWAY, axum::Json(error)),
            }
        }
        let app = Router::new()
            .route("/publish", post(publish))
            .with_state(publisher);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("control serves");
        });
        Self { url, task }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Everything a run needs, stopped when dropped (processes are killed on drop).
struct Stack {
    /// `tests/e2e/amplify`, checked to be installed.
    project: PathBuf,
    authorizer: Authorizer,
    events: LocalEvents,
    publisher: Arc<LambdaProcess>,
    control: Control,
}

impl Stack {
    /// The authorizer with [`channel_rules`], local-events in front of it (namespaces
    /// `users` and `public`; TLS with its development CA in `tls_cert_dir` if given), and
    /// the publisher pointed at local-events with the development IAM credentials.
    async fn start(tls_cert_dir: Option<&Path>) -> Self {
        // Before starting anything: a missing install is the commonest failure.
        let project = amplify_project(&workspace_root().join("tests/e2e/amplify"))
            .unwrap_or_else(|problem| panic!("{problem}"));
        let authorizer = Authorizer::with_document(channel_rules()).await;
        let events = LocalEvents::for_authorizer(
            &authorizer,
            tls_cert_dir,
            &["--namespace", "users", "--namespace", "public"],
        )
        .await;
        let ca = tls_cert_dir.map(|d| d.join("ca.pem"));
        let publisher = Arc::new(events.publisher(ca.as_deref()).await);
        let control = Control::start(publisher.clone()).await;
        Self {
            project,
            authorizer,
            events,
            publisher,
            control,
        }
    }

    /// Runs `node --test <files>` (every `*.test.mjs` when empty) against this stack and
    /// returns its TAP output; panics unless it exits 0 with `expected` tests all passed.
    async fn run_node(&self, files: &[&str], extra_env: &[(&str, &str)], expected: u32) -> String {
        let user = token(SUB, 3600);
        let expired = token(SUB, -3600);
        let endpoint = format!("{}/event", self.events.url);
        let mut command = Command::new("node");
        command
            // --test-force-exit: Amplify never clears its 15 s connection_init timer, which
            // would keep each test file's process alive that long after its last connect.
            .args(["--test", "--test-force-exit", "--test-reporter=tap"])
            .args(files)
            .current_dir(&self.project)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("EVENTS_ENDPOINT", &endpoint)
            .env("EVENTS_TOKEN", &user)
            .env("EVENTS_SUB", SUB)
            .env("EVENTS_EXPIRED_TOKEN", &expired)
            .env("EVENTS_CONTROL_URL", &self.control.url)
            .envs(extra_env.iter().copied());
        let run = run_tap(
            &mut command,
            NODE_RUN_LIMIT,
            "install Node ≥ 20.14 and run `npm ci --prefix tests/e2e/amplify`",
            || format!("local-events logs:\n{}", self.events.logs().join("\n")),
        )
        .await;
        let context = format!(
            "node --test {files:?} took {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- local-events\n{}\n--- authorizer\n{}",
            run.elapsed,
            run.stdout,
            run.stderr,
            self.events.logs().join("\n"),
            self.authorizer.process.logs().join("\n"),
        );
        run.assert_passed(expected, &context);
        assert_eq!(run.count("tests"), Some(expected), "{context}");
        run.stdout
    }

    /// Whether the authorizer was asked about `operation` on exactly `channel`.
    fn asked(&self, operation: &str, channel: &str) -> bool {
        self.authorizer
            .questions()
            .iter()
            .any(|(op, ch)| op == operation && ch.as_deref() == Some(channel))
    }
}

#[tokio::test]
async fn the_real_amplify_client_connects_subscribes_receives_publishes_and_is_denied_like_appsync()
{
    let stack = Stack::start(None).await;
    let tap = stack.run_node(&[], &[], 6).await;
    for name in [
        "a subscriber receives what the publisher function publishes, IAM-signed, in order",
        "events.post with authToken reaches a wildcard subscriber the channel rules allow",
        "channel.publish over the WebSocket reaches the subscribers, the publisher included",
        "connecting with an expired token is rejected with UnauthorizedException, not retried",
        "events.post with an expired token fails with UnauthorizedException and HTTP 401",
        "a wildcard subscription outside the caller\u{2019}s channels is denied and the socket lives on",
    ] {
        assert!(
            tap.lines()
                .any(|line| line.starts_with("ok ") && line.ends_with(name)),
            "{name} did not pass:\n{tap}"
        );
    }

    // The Lambda-mode decisions went to the real authorizer with the real request shape.
    let inbox = format!("/users/{SUB}/inbox");
    let chat = format!("/users/{SUB}/chat");
    for (operation, channel) in [
        ("EVENT_SUBSCRIBE", inbox.as_str()),
        ("EVENT_SUBSCRIBE", "/public/*"),
        ("EVENT_PUBLISH", "/public/news"),
        ("EVENT_PUBLISH", chat.as_str()),
        ("EVENT_SUBSCRIBE", "/users/*"),
    ] {
        assert!(
            stack.asked(operation, channel),
            "authorizer never asked {operation} {channel}: {:?}",
            stack.authorizer.questions()
        );
    }
    assert!(
        stack
            .authorizer
            .questions()
            .iter()
            .any(|(op, _)| op == "EVENT_CONNECT"),
        "{:?}",
        stack.authorizer.questions()
    );
    // The publisher's request was IAM: verified by local-events, never sent to the authorizer.
    assert_eq!(
        stack
            .events
            .lines_with(&["authorized", "EVENT_PUBLISH", "mode=AWS_IAM"])
            .len(),
        1,
        "{:?}",
        stack.events.logs()
    );
    assert!(!stack.asked("EVENT_PUBLISH", &inbox));
    // The wildcard was denied by the channel rules, with their reason code.
    let authorizer_logs = stack.authorizer.process.logs().join("\n");
    assert!(
        authorizer_logs.contains("wildcard_too_broad"),
        "{authorizer_logs}"
    );
    assert!(
        stack
            .publisher
            .logs()
            .iter()
            .all(|l| !l.contains(SECRET_KEY))
    );
}

#[tokio::test]
async fn the_real_amplify_client_works_over_tls_trusting_the_development_ca() {
    let certs = std::env::temp_dir().join(format!("amplify-e2e-certs-{}", std::process::id()));
    let stack = Stack::start(Some(&certs)).await;
    assert!(
        stack.events.url.starts_with("https://localhost:"),
        "{}",
        stack.events.url
    );
    let ca = certs.join("ca.pem");
    // No wss→ws shim over TLS (harness.mjs installs it only for http:// endpoints): Node
    // trusts the development CA for both fetch and `ws` through NODE_EXTRA_CA_CERTS.
    stack
        .run_node(
            &["realtime.test.mjs"],
            &[("NODE_EXTRA_CA_CERTS", ca.to_str().expect("utf-8 path"))],
            3,
        )
        .await;
    assert_eq!(
        stack
            .events
            .lines_with(&["authorized", "EVENT_PUBLISH", "mode=AWS_IAM"])
            .len(),
        1,
        "{:?}",
        stack.events.logs()
    );
    drop(stack);
    let _ = std::fs::remove_dir_all(&certs);
}

#[test]
fn a_missing_npm_install_fails_with_the_command_that_fixes_it() {
    let dir = std::env::temp_dir().join(format!("amplify-e2e-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("package.json"),
        r#"{"devDependencies":{"aws-amplify":"6.22.1"}}"#,
    )
    .expect("write package.json");
    let problem = amplify_project(&dir).expect_err("no node_modules");
    assert!(
        problem.contains("npm ci --prefix tests/e2e/amplify"),
        "{problem}"
    );
    std::fs::create_dir_all(dir.join("node_modules/aws-amplify")).expect("dirs");
    std::fs::write(
        dir.join("node_modules/aws-amplify/package.json"),
        r#"{"version":"6.20.0"}"#,
    )
    .expect("write");
    let problem = amplify_project(&dir).expect_err("stale node_modules");
    assert!(
        problem.contains("6.20.0") && problem.contains("npm ci"),
        "{problem}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
