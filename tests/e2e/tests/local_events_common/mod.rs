//! Shared by the `local_events*` tests: the real `local-events` binary on a free loopback
//! port (logs captured, killed on drop), the real `authorizer` behind a Lambda Invoke API,
//! development tokens, and a raw WebSocket client speaking the Events protocol.
#![allow(dead_code)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::binaries::binary;
use testkit::idp::{TestKey, now};
use testkit::invoke_api::InvokeApi;
use testkit::runtime::LambdaProcess;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The development issuer and secret (dev/local.env).
pub const ISSUER: &str = "http://127.0.0.1:54321/auth/v1";
pub const SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";
pub const PREFIX: &str = "supabase:";
/// The development IAM credentials local-events defaults to (dev/local.env).
pub const ACCESS_KEY: &str = "AKIDLOCALDEVELOPMENT";
pub const SECRET_KEY: &str = "local-development-only-not-a-real-secret-key";

/// A prefixed HS256 development token for `sub`, expiring `expires_in` seconds from now
/// (negative: already expired).
pub fn token(sub: &str, expires_in: i64) -> String {
    let now = now() as i64;
    let claims = json!({
        "iss": ISSUER, "sub": sub, "aud": "authenticated", "role": "authenticated",
        "aal": "aal1", "is_anonymous": false, "session_id": "s-1",
        "iat": now - 60 + expires_in.min(0), "exp": now + expires_in,
    });
    format!("{PREFIX}{}", TestKey::hs256(SECRET).token(None, &claims))
}

/// Collects stdout and stderr lines as they arrive.
pub fn capture(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
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

/// A running `local-events`; killed on drop.
pub struct LocalEvents {
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
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let mut request = client
            .post(format!("{}/event", self.url))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
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
}

/// `http://127.0.0.1:<port>` from the "listening: POST http://…/event" line.
fn listening_url(logs: &[String]) -> Option<String> {
    logs.iter().find_map(|line| {
        let rest = line.split("listening: POST ").nth(1)?;
        rest.split("/event").next().map(str::to_owned)
    })
}

/// The real authorizer (dev configuration plus `env`) under the harness's Runtime API,
/// served through a Lambda Invoke API as function `authorizer`.
pub struct Authorizer {
    pub process: Arc<LambdaProcess>,
    pub invoke: InvokeApi,
}

impl Authorizer {
    /// The flat development configuration of dev/local.env.
    pub async fn dev() -> Self {
        Self::with_env(&[
            ("JWT_ISSUER", ISSUER),
            ("JWT_SECRET", SECRET),
            ("JWT_PROFILE", "supabase"),
        ])
        .await
    }

    /// An `AUTHORIZER_CONFIG` document for the development issuer with these extra keys
    /// (e.g. `channelRules`, `cacheConnect`).
    pub async fn with_document(extra: Value) -> Self {
        let mut document = json!({
            "issuers": [{"issuer": ISSUER, "profile": "supabase", "secret": {"value": SECRET}}],
            "cacheTtlSeconds": 300,
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            document[k] = v;
        }
        Self::with_env(&[("AUTHORIZER_CONFIG", &document.to_string())]).await
    }

    async fn with_env(env: &[(&str, &str)]) -> Self {
        let mut env = env.to_vec();
        env.push(("TOKEN_PREFIXES", PREFIX));
        let process = Arc::new(LambdaProcess::start(&binary("authorizer"), &env).await);
        let invoke = InvokeApi::start(vec![("authorizer", process.clone())]).await;
        Self { process, invoke }
    }

    /// What the authorizer was asked, in order: (operation, channel).
    pub fn questions(&self) -> Vec<(String, Option<String>)> {
        self.invoke
            .invocations("authorizer")
            .iter()
            .map(|r| {
                let context = &r["requestContext"];
                (
                    context["operation"].as_str().unwrap_or_default().to_owned(),
                    context["channel"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }
}

/// A raw Events WebSocket client.
pub struct Ws {
    socket: WebSocketStream<TcpStream>,
    /// The subprotocol the server selected.
    pub protocol: Option<String>,
}

/// The `{Authorization, host}` object Amplify sends in Lambda mode.
pub fn auth(token: &str, authority: &str) -> Value {
    json!({"Authorization": token, "host": authority})
}

impl Ws {
    /// Connects to `events` with Amplify's subprotocols (auth in `header-…`).
    pub async fn connect(events: &LocalEvents, token: &str) -> Self {
        let header = URL_SAFE_NO_PAD.encode(auth(token, events.authority()).to_string());
        Self::connect_with(events, &format!("aws-appsync-event-ws, header-{header}")).await
    }

    /// Connects offering exactly `protocols`.
    pub async fn connect_with(events: &LocalEvents, protocols: &str) -> Self {
        Self::upgrade(events, protocols, &[]).await
    }

    /// Connects as native (Swift) clients do: only the protocol, credentials as headers.
    pub async fn connect_with_headers(events: &LocalEvents, headers: &[(&str, &str)]) -> Self {
        Self::upgrade(events, "aws-appsync-event-ws", headers).await
    }

    async fn upgrade(events: &LocalEvents, protocols: &str, headers: &[(&str, &str)]) -> Self {
        let mut request = format!("ws://{}/event/realtime", events.authority())
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            protocols.parse().expect("header value"),
        );
        for (name, value) in headers {
            let name: tokio_tungstenite::tungstenite::http::HeaderName =
                name.parse().expect("name");
            request
                .headers_mut()
                .insert(name, value.parse().expect("header value"));
        }
        let tcp = TcpStream::connect(events.authority())
            .await
            .expect("tcp connect");
        let (socket, response) = tokio_tungstenite::client_async(request, tcp)
            .await
            .expect("the upgrade completes");
        let protocol = response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().expect("ascii").to_owned());
        Self { socket, protocol }
    }

    pub async fn send(&mut self, frame: Value) {
        self.socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.socket.send(message).await.expect("send");
    }

    /// The next frame (text parsed as JSON; a close frame as `{"close": code}`), or `None`
    /// after `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let frame = tokio::time::timeout(wait, async {
            loop {
                match self.socket.next().await {
                    Some(Ok(Message::Text(text))) => {
                        return serde_json::from_str(text.as_str()).expect("text frames are JSON");
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return json!({"close": frame.map(|f| u16::from(f.code))});
                    }
                    Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return json!({"close": null}),
                }
            }
        })
        .await;
        frame.ok()
    }

    /// The next frame that is not a `ka` (within 10 s).
    pub async fn next(&mut self) -> Value {
        loop {
            let frame = self
                .next_within(Duration::from_secs(10))
                .await
                .expect("a frame within 10 s");
            if frame["type"] != "ka" {
                return frame;
            }
        }
    }

    /// No frame but `ka` for `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.next_within(left).await {
                Some(frame) if frame["type"] == "ka" => {}
                Some(frame) => panic!("unexpected frame: {frame}"),
                None => return,
            }
        }
    }

    /// `connection_init`, expecting `connection_ack` then `ka`.
    pub async fn init(&mut self) -> Value {
        self.send(json!({"type": "connection_init"})).await;
        let ack = self
            .next_within(Duration::from_secs(10))
            .await
            .expect("ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ack
    }

    /// Subscribes `id` to `channel` with `token`; returns the answer frame.
    pub async fn subscribe(
        &mut self,
        id: &str,
        channel: &str,
        token: &str,
        authority: &str,
    ) -> Value {
        self.send(json!({"type": "subscribe", "id": id, "channel": channel, "authorization": auth(token, authority)}))
            .await;
        self.next().await
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// The body of an HTTP publish of `events` (each serialized to a JSON string).
pub fn publish_body(channel: &str, events: &[Value]) -> Value {
    let events: Vec<String> = events.iter().map(Value::to_string).collect();
    json!({"channel": channel, "events": events})
}
