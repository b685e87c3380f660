//! A loopback stand-in for the two AWS JSON APIs the authorizer reads secrets from:
//! Secrets Manager `GetSecretValue` and SSM `GetParameter` (`awsJson1_1`: `POST /` with an
//! `X-Amz-Target` header). It serves one secret under any number of names, records every
//! call, and misbehaves on command (error statuses, slowness, refusing connections).
//!
//! The function reaches it through the standard `AWS_ENDPOINT_URL_SECRETS_MANAGER` /
//! `AWS_ENDPOINT_URL_SSM` variables with the dummy credentials below ([`AwsFake::env`]).
//! Every request's SigV4 signature is checked with [`crate::sigv4`], which is written
//! from the specification and shares no code with the `aws-sigv4` signer the authorizer
//! uses; a bad signature is answered `403 InvalidSignatureException`, as AWS does. The
//! fake also serves container credentials (`GET /credentials`, [`AwsFake::container_env`])
//! and records the region each call was signed for.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sigv4::{Authorization, DevCredentials, RequestParts, verify_for};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Dummy access key id given to the function (test-only).
pub const ACCESS_KEY_ID: &str = "AKIDE2ETESTEXAMPLE0001";
/// Dummy secret access key given to the function; must never appear in a log.
pub const SECRET_ACCESS_KEY: &str = "e2eTestSecretAccessKey/NotReal/0123456789abcdefgh";
/// Dummy session token given to the function; must never appear in a log.
pub const SESSION_TOKEN: &str = "e2eTestSessionToken//NotReal+FwoGZXIvYXdzEXAMPLE0123456789";
/// The token the container credentials endpoint requires; must never appear in a log.
pub const CONTAINER_TOKEN: &str = "e2eContainerAuthorizationToken-NotReal-0123456789";

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
    verified: Vec<String>,
    refusals: Vec<String>,
    credential_fetches: u64,
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
            verified: Vec::new(),
            refusals: Vec::new(),
            credential_fetches: 0,
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
            .route("/credentials", get(credentials))
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

    /// The variables that give the function no static credentials but this fake's container
    /// credentials endpoint (with its authorization token) instead.
    pub fn container_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", self.url()),
            ("AWS_ENDPOINT_URL_SSM", self.url()),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/credentials", self.url()),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                CONTAINER_TOKEN.to_owned(),
            ),
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

    /// The signing region of every call whose signature verified and that carried the
    /// session token.
    pub fn verified_regions(&self) -> Vec<String> {
        self.state.lock().expect("lock").verified.clone()
    }

    /// Why signatures were refused, if any were.
    pub fn refusals(&self) -> Vec<String> {
        self.state.lock().expect("lock").refusals.clone()
    }

    /// Authorized `GET /credentials` calls.
    pub fn credential_fetches(&self) -> u64 {
        self.state.lock().expect("lock").credential_fetches
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
    let verdict = verify(&target, &headers, &body);
    let (mode, secret) = {
        let mut s = state.lock().expect("lock");
        s.calls.push(target.clone());
        match &verdict {
            Ok(region) => s.verified.push(region.clone()),
            Err(refusal) => s.refusals.push(refusal.clone()),
        }
        (s.mode.clone(), s.secret.clone())
    };
    if let Err(refusal) = verdict {
        return aws_error(403, "InvalidSignatureException", &refusal);
    }
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

/// Checks the signature for the service the target belongs to; the signing region on
/// success. The session token must be the one handed out.
fn verify(target: &str, headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    let service = match target.split('.').next() {
        Some("secretsmanager") => "secretsmanager",
        Some("AmazonSSM") => "ssm",
        _ => return Err(format!("unknown target {target:?}")),
    };
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body,
    };
    let credentials = DevCredentials {
        access_key_id: ACCESS_KEY_ID.to_owned(),
        secret_access_key: SECRET_ACCESS_KEY.to_owned(),
    };
    // The scope's region is taken as given and recorded; tests assert which one was used.
    let region = Authorization::parse(parts.header("authorization").unwrap_or(""))
        .map(|auth| auth.region)
        .map_err(|refusal| refusal.to_string())?;
    verify_for(
        &parts,
        &credentials,
        service,
        &region,
        std::time::SystemTime::now(),
    )
    .map_err(|refusal| refusal.to_string())?;
    if parts.header("x-amz-security-token") != Some(SESSION_TOKEN) {
        return Err("signed without the session token".to_owned());
    }
    Ok(region)
}

/// A container credentials endpoint: the same dummy credentials, for the right token.
async fn credentials(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(CONTAINER_TOKEN);
    if !authorized {
        return (StatusCode::FORBIDDEN, "bad token").into_response();
    }
    state.lock().expect("lock").credential_fetches += 1;
    json_response(json!({
        "AccessKeyId": ACCESS_KEY_ID,
        "SecretAccessKey": SECRET_ACCESS_KEY,
        "Token": SESSION_TOKEN,
        "Expiration": "2099-01-01T00:00:00Z",
    }))
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
