//! A loopback stand-in for the two AWS JSON APIs the authorizer reads secrets from:
//! Secrets Manager `GetSecretValue` and SSM `GetParameter` (`awsJson1_1`: `POST /` with an
//! `X-Amz-Target` header). It serves one secret under any number of names, records every
//! call, and misbehaves on command (error statuses, slowness, refusing connections).
//!
//! The function reaches it through the standard `AWS_ENDPOINT_URL_SECRETS_MANAGER` /
//! `AWS_ENDPOINT_URL_SSM` variables with the dummy credentials below ([`AwsFake::env`]).
//! Signatures are not verified (that is the SDK's business, tested upstream); the fake only
//! records that requests were SigV4-signed with the session token, so a test can tell
//! that the real signing path ran.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Dummy access key id given to the function (test-only).
pub const ACCESS_KEY_ID: &str = "AKIDE2ETESTEXAMPLE0001";
/// Dummy secret access key given to the function; must never appear in a log.
pub const SECRET_ACCESS_KEY: &str = "e2eTestSecretAccessKey/NotReal/0123456789abcdefgh";
/// Dummy session token given to the function; must never appear in a log.
pub const SESSION_TOKEN: &str = "e2eTestSessionToken//NotReal+FwoGZXIvYXdzEXAMPLE0123456789";

/// How the fake answers.
#[derive(Debug, Clone, PartialEq)]
pub enum AwsMode {
    /// The secret.
    Healthy,
    /// This status with an AWS JSON error body.
    Status(u16),
    /// The secret, after a delay.
    Slow(Duration),
}

#[derive(Debug)]
struct FakeState {
    secret: String,
    mode: AwsMode,
    calls: Vec<String>,
    signed_with_session_token: u64,
}

type Shared = Arc<Mutex<FakeState>>;

/// The fake endpoint on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct AwsFake {
    addr: SocketAddr,
    state: Shared,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl AwsFake {
    /// Starts serving `secret` for every secret id and parameter name.
    pub async fn start(secret: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(FakeState {
            secret: secret.to_owned(),
            mode: AwsMode::Healthy,
            calls: Vec::new(),
            signed_with_session_token: 0,
        }));
        let fake = Self {
            addr,
            state,
            server: Arc::new(Mutex::new(None)),
        };
        fake.serve(listener);
        fake
    }

    fn serve(&self, listener: TcpListener) {
        let app = Router::new()
            .route("/", post(handle))
            .with_state(self.state.clone());
        let task = tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        *self.server.lock().expect("lock") = Some(task);
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The variables that point the AWS SDK at this fake with dummy credentials.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", self.url()),
            ("AWS_ENDPOINT_URL_SSM", self.url()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
            ("AWS_SESSION_TOKEN", SESSION_TOKEN.to_owned()),
        ]
    }

    /// Changes how the fake answers from now on.
    pub fn set_mode(&self, mode: AwsMode) {
        self.state.lock().expect("lock").mode = mode;
    }

    /// The `X-Amz-Target` of every call so far (e.g. `secretsmanager.GetSecretValue`).
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().expect("lock").calls.clone()
    }

    /// Calls that carried a SigV4 `Authorization` header and the session token.
    pub fn signed_calls(&self) -> u64 {
        self.state.lock().expect("lock").signed_with_session_token
    }

    /// Stops listening: connections are refused until [`reopen`](Self::reopen).
    pub async fn close(&self) {
        let task = self.server.lock().expect("lock").take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens on the same port again.
    pub async fn reopen(&self) {
        for _ in 0..50 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                self.serve(listener);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("could not rebind {}", self.addr);
    }
}

async fn handle(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let target = text("x-amz-target").to_owned();
    let signed = text(header::AUTHORIZATION.as_str()).starts_with("AWS4-HMAC-SHA256 ")
        && text("x-amz-security-token") == SESSION_TOKEN;
    let (mode, secret) = {
        let mut s = state.lock().expect("lock");
        s.calls.push(target.clone());
        s.signed_with_session_token += u64::from(signed);
        (s.mode.clone(), s.secret.clone())
    };
    match mode {
        AwsMode::Healthy => {}
        AwsMode::Status(code) => {
            return aws_error(code, "InternalServiceError", "injected failure");
        }
        AwsMode::Slow(delay) => tokio::time::sleep(delay).await,
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match target.as_str() {
        "secretsmanager.GetSecretValue" => {
            let id = request["SecretId"].as_str().unwrap_or("");
            json_response(json!({"ARN": id, "Name": id, "SecretString": secret, "VersionId": "v1"}))
        }
        "AmazonSSM.GetParameter" => {
            let name = request["Name"].as_str().unwrap_or("");
            json_response(json!({"Parameter": {"Name": name, "Type": "SecureString",
                                               "Value": secret, "Version": 1}}))
        }
        _ => aws_error(400, "UnknownOperationException", "unknown operation"),
    }
}

fn json_response(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

fn aws_error(status: u16, kind: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).expect("status");
    let body = json!({"__type": kind, "message": message}).to_string();
    (
        status,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        body,
    )
        .into_response()
}
