//! The real `local-events` binary on a free loopback port, logs captured.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::{Child, Command};

use super::{ACCESS_KEY, Authorizer, SECRET_KEY, capture};
use crate::binaries::binary;
use crate::runtime::LambdaProcess;

/// A running `local-events`; killed on drop.
#[derive(Debug)]
pub struct LocalEvents {
    /// The process.
    pub child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    /// `http://127.0.0.1:<port>` (or `https://localhost:<port>` with `--tls`).
    pub url: String,
}

impl LocalEvents {
    /// Starts `local-events --listen 127.0.0.1:0 <args>` with only `RUST_LOG` and `env`.
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary("local-events"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_clear()
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("local-events spawns");
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

    /// local-events in front of `authorizer` (its Invoke API), with `args`; over TLS with
    /// its development CA in `tls_cert_dir` when given.
    pub async fn for_authorizer(
        authorizer: &Authorizer,
        tls_cert_dir: Option<&Path>,
        args: &[&str],
    ) -> Self {
        let url = authorizer.invoke.url();
        let mut all = vec!["--authorizer-url", url.as_str()];
        let cert_dir = tls_cert_dir.map(|d| d.to_str().expect("utf-8 path"));
        if let Some(dir) = cert_dir {
            all.extend(["--tls", "--cert-dir", dir]);
        }
        all.extend_from_slice(args);
        Self::start(&all, &[]).await
    }

    /// The real publisher pointed at this endpoint with the development IAM credentials,
    /// trusting the CA at `ca` when given (local-events' `--tls`).
    pub async fn publisher(&self, ca: Option<&Path>) -> LambdaProcess {
        let ca = ca.map(|p| {
            std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        });
        let mut env = vec![
            ("EVENTS_ENDPOINT", self.url.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ];
        // As the dev loop and `sam local invoke` give it: the one CA trusted.
        if let Some(ca) = &ca {
            env.push(("EVENTS_DEV_CA_PEM", ca));
        }
        LambdaProcess::start(&binary("publisher"), &env).await
    }

    /// Everything it printed so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("lock").clone()
    }

    /// Log lines containing every one of `needles`.
    pub fn lines_with(&self, needles: &[&str]) -> Vec<String> {
        self.logs()
            .into_iter()
            .filter(|line| needles.iter().all(|n| line.contains(n)))
            .collect()
    }

    /// Waits up to 5 s for `count` lines containing every one of `needles`.
    pub async fn wait_for_lines(&self, needles: &[&str], count: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let lines = self.lines_with(needles);
            if lines.len() >= count || start.elapsed() > Duration::from_secs(5) {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `host:port`.
    pub fn authority(&self) -> &str {
        self.url.split("://").nth(1).expect("url has a scheme")
    }

    /// POST /event with `authorization`; returns (status, error type header, body).
    pub async fn post(
        &self,
        authorization: Option<&str>,
        body: &Value,
    ) -> (u16, Option<String>, Value) {
        let headers: Vec<(&str, &str)> = authorization
            .map(|value| ("authorization", value))
            .into_iter()
            .collect();
        post_event(&self.url, &headers, body).await
    }
}

/// `POST <base>/event` with `headers`; returns (status, `x-amzn-ErrorType`, body as JSON,
/// or as a string when it is not JSON).
pub async fn post_event(
    base: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, Option<String>, Value) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let mut request = client
        .post(format!("{base}/event"))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let text = response.text().await.expect("body");
    (
        status,
        error_type,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `http://127.0.0.1:<port>` from the "listening: POST http://…/event" line.
fn listening_url(logs: &[String]) -> Option<String> {
    logs.iter().find_map(|line| {
        let rest = line.split("listening: POST ").nth(1)?;
        rest.split("/event").next().map(str::to_owned)
    })
}
