//! The Next.js example (`examples/nextjs`) in a real browser: Debian's headless Chromium
//! driven by playwright-core, trusting local-events' development CA through an NSS
//! database, against the real authorizer (channel rules on, anonymous users refused), the
//! real `local-events` with TLS reading the project's `template.yaml` (so its
//! `IdentityValidationExpression` applies) and the real publisher.
//!
//! Rust starts everything on loopback ports picked at run time, including the built app
//! twice with `next start` (as configured, and without the token prefix), then runs
//! `node --test tests/browser.test.mjs` in the example; the cases are listed there.
//!
//! Needs Chromium (`/usr/bin/chromium`, or `CHROMIUM`), certutil (Debian:
//! `libnss3-tools`), Node ≥ 20.14 and the example installed and built
//! (`npm ci && npm run build` in `examples/nextjs`); `.ci/run` and `scripts/test.sh` do
//! all of it. A missing piece fails the test with what to run.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use testkit::binaries::workspace_root;
use testkit::dev_loop::{ACCESS_KEY, Authorizer, ISSUER, LocalEvents, SECRET, SECRET_KEY, capture};
use testkit::invoke_api::InvokeApi;
use testkit::node::run_tap;
use tokio::process::{Child, Command};

/// How long the app's realtime tokens live: short, so the test sees two renewals.
const TOKEN_TTL_SECONDS: &str = "12";
/// The whole `node --test` run.
const NODE_RUN_LIMIT: Duration = Duration::from_secs(240);

/// The example, checked to be installed and built from its current sources.
fn example() -> Result<PathBuf, String> {
    let dir = workspace_root().join("examples/nextjs");
    let fix = "run `npm ci && npm run build` in examples/nextjs (scripts/test.sh does)";
    if !dir
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        return Err(format!("examples/nextjs/node_modules is missing: {fix}"));
    }
    let built = std::fs::metadata(dir.join(".next/BUILD_ID"))
        .and_then(|m| m.modified())
        .map_err(|_| format!("examples/nextjs is not built: {fix}"))?;
    let mut newest = SystemTime::UNIX_EPOCH;
    for source in [
        "app",
        "lib",
        "next.config.mjs",
        "package-lock.json",
        "tsconfig.json",
    ] {
        newest = newest.max(newest_in(&dir.join(source)));
    }
    if newest > built {
        return Err(format!(
            "examples/nextjs changed since its last build: {fix}"
        ));
    }
    Ok(dir)
}

fn newest_in(path: &Path) -> SystemTime {
    let Ok(meta) = std::fs::metadata(path) else {
        return SystemTime::UNIX_EPOCH;
    };
    let own = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    if !meta.is_dir() {
        return own;
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| newest_in(&entry.path()))
        .fold(own, SystemTime::max)
}

fn chromium() -> Result<PathBuf, String> {
    let path = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !path.is_file() {
        return Err(format!(
            "{} not found: install Debian's chromium (apt-get install chromium libnss3-tools), or set CHROMIUM",
            path.display()
        ));
    }
    let certutil = std::process::Command::new("certutil").arg("-H").output();
    if certutil.is_err() {
        return Err("certutil not found: apt-get install libnss3-tools".into());
    }
    Ok(path)
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `next start` of the built example in its own process group; killed (the whole group)
/// on drop.
struct App {
    child: Child,
    url: String,
    logs: Arc<std::sync::Mutex<Vec<String>>>,
}

impl App {
    async fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = Command::new("node")
            .args([
                "node_modules/next/dist/bin/next",
                "start",
                "-H",
                "127.0.0.1",
                "-p",
            ])
            .arg(port.to_string())
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .envs(env.iter().copied())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts next");
        let logs = capture(&mut child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "next start exited with {status}: {:?}",
                    logs.lock().expect("lock")
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "next start not listening after 60 s: {:?}",
                logs.lock().expect("lock")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            logs,
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

#[tokio::test]
async fn the_nextjs_example_works_in_a_real_browser_against_the_real_stack() {
    // Before starting anything: a missing install is the commonest failure.
    let dir = example().unwrap_or_else(|problem| panic!("{problem}"));
    let chromium = chromium().unwrap_or_else(|problem| panic!("{problem}"));

    // The authorizer a deployment would run: channel rules on, anonymous users refused.
    let authorizer = Authorizer::with_document(json!({
        "issuers": [{
            "issuer": ISSUER, "profile": "supabase", "secret": {"value": SECRET},
            "allowAnonymous": false,
        }],
        "channelRules": [
            {"channel": "/default/users/{sub}/*", "operations": ["subscribe", "publish"]},
        ],
    }))
    .await;
    let certs = tempfile::tempdir().expect("temp dir");
    let template = workspace_root().join("template.yaml");
    let template = template.to_str().expect("utf-8 path");
    let events =
        LocalEvents::for_authorizer(&authorizer, Some(certs.path()), &["--template", template])
            .await;
    let ca_path = certs.path().join("ca.pem");
    let ca = ca_path.to_str().expect("utf-8 path");
    let publisher = Arc::new(events.publisher(Some(&ca_path)).await);
    let invoke = InvokeApi::start(vec![("publisher", publisher.clone())]).await;
    let invoke_url = invoke.url();

    let endpoint = format!("{}/event", events.url);
    let app_env = |prefix: &'static str| {
        vec![
            ("EVENTS_API_ENDPOINT", endpoint.clone()),
            ("EVENTS_TOKEN_PREFIX", prefix.to_owned()),
            ("EVENTS_NAMESPACE", "default".to_owned()),
            ("DEV_ISSUER", "1".to_owned()),
            ("JWT_ISSUER", ISSUER.to_owned()),
            ("JWT_SECRET", SECRET.to_owned()),
            ("REALTIME_TOKEN_TTL_SECONDS", TOKEN_TTL_SECONDS.to_owned()),
            ("PUBLISHER_FUNCTION", "publisher".to_owned()),
            ("LAMBDA_ENDPOINT", invoke_url.clone()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ]
    };
    let with_prefix = app_env("supabase:");
    let without_prefix = app_env("");
    let app = App::start(&dir, &as_refs(&with_prefix)).await;
    let app_no_prefix = App::start(&dir, &as_refs(&without_prefix)).await;

    let mut command = Command::new("node");
    command
        .args([
            "--test",
            "--test-force-exit",
            "--test-reporter=tap",
            "tests/browser.test.mjs",
        ])
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("APP_URL", &app.url)
        .env("APP_NO_PREFIX_URL", &app_no_prefix.url)
        .env("EVENTS_URL", &events.url)
        .env("DEV_CA", ca)
        .env("INVOKE_URL", &invoke_url)
        .env("TOKEN_TTL_SECONDS", TOKEN_TTL_SECONDS)
        .env("CHROMIUM", &chromium);
    let run = run_tap(
        &mut command,
        NODE_RUN_LIMIT,
        "install Node ≥ 20.14 and the example (`npm ci && npm run build` in examples/nextjs)",
        String::new,
    )
    .await;
    let context = format!(
        "node --test took {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- app\n{}\n--- app without prefix\n{}\n--- local-events\n{}\n--- authorizer\n{}",
        run.elapsed,
        run.stdout,
        run.stderr,
        app.logs.lock().expect("lock").join("\n"),
        app_no_prefix.logs.lock().expect("lock").join("\n"),
        events.logs().join("\n"),
        authorizer.process.logs().join("\n"),
    );
    run.assert_passed(7, &context);

    // The prefix-less client was refused by local-events itself, before the authorizer.
    assert!(
        !events
            .lines_with(&["denied", "IdentityValidationExpression"])
            .is_empty(),
        "{context}"
    );
    // The anonymous user was refused by the authorizer's issuer profile, on connect, once.
    let refusals = authorizer
        .process
        .logs()
        .into_iter()
        .filter(|l| l.contains("\"reason\":\"profile_rejected\"") && l.contains("EVENT_CONNECT"))
        .count();
    assert_eq!(refusals, 1, "{context}");
    eprintln!("node --test took {:?}", run.elapsed);
    // The server action and the steady publishes went through the publisher (AWS_IAM).
    assert!(
        events
            .lines_with(&["authorized", "EVENT_PUBLISH", "mode=AWS_IAM"])
            .len()
            > 10,
        "{context}"
    );
}
