//! A loopback identity provider for tests: real keys (aws-lc-rs), tokens signed with them,
//! and a JWKS / OIDC discovery server that can be told to misbehave.
//!
//! Tokens are assembled by hand here (header and payload JSON, base64url, a real
//! signature) so tests can also build hostile tokens no JWT library would produce.
//!
//! The server's public port is a small TCP front that forwards each connection to the
//! HTTP server behind it, or misbehaves at the socket level on command (reset the
//! connection, drip the body, stream an endless chunked body, stop listening altogether).
//! Every HTTP answer carries `Connection: close`, so each fetch is a new connection and a
//! new mode applies to the very next request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// base64url without padding.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A signing key of one algorithm.
pub enum TestKey {
    /// ECDSA P-256 / SHA-256.
    Es256(EcdsaKeyPair),
    /// RSA 2048 PKCS#1 v1.5 / SHA-256.
    Rs256(RsaKeyPair),
    /// Ed25519.
    EdDsa(Ed25519KeyPair),
    /// HMAC-SHA256 with a shared secret.
    Hs256(Vec<u8>),
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.alg())
    }
}

impl TestKey {
    /// A fresh ES256 key.
    pub fn es256() -> Self {
        Self::Es256(
            EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).expect("ec key"),
        )
    }
    /// A fresh RS256 key.
    pub fn rs256() -> Self {
        Self::Rs256(RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("rsa key"))
    }
    /// A fresh Ed25519 key.
    pub fn eddsa() -> Self {
        Self::EdDsa(Ed25519KeyPair::generate().expect("ed key"))
    }
    /// An HMAC key.
    pub fn hs256(secret: &str) -> Self {
        Self::Hs256(secret.as_bytes().to_vec())
    }

    /// The JOSE `alg`.
    pub fn alg(&self) -> &'static str {
        match self {
            Self::Es256(_) => "ES256",
            Self::Rs256(_) => "RS256",
            Self::EdDsa(_) => "EdDSA",
            Self::Hs256(_) => "HS256",
        }
    }

    /// Signs `message` (raw r||s for ECDSA, as JWS requires).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            Self::Es256(k) => k.sign(&rng, message).expect("sign").as_ref().to_vec(),
            Self::Rs256(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .expect("sign");
                sig
            }
            Self::EdDsa(k) => k.sign(message).as_ref().to_vec(),
            Self::Hs256(secret) => {
                let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
                aws_lc_rs::hmac::sign(&key, message).as_ref().to_vec()
            }
        }
    }

    /// The public JWK (`alg`, `use: sig`, `kid`). Panics for HMAC keys.
    pub fn jwk(&self, kid: &str) -> Value {
        match self {
            Self::Es256(k) => {
                let point = k.public_key().as_ref();
                json!({"kty":"EC","crv":"P-256","x":b64(&point[1..33]),"y":b64(&point[33..65]),"kid":kid,"alg":"ES256","use":"sig"})
            }
            Self::Rs256(k) => {
                let public = k.public_key();
                json!({"kty":"RSA","n":b64(public.modulus().big_endian_without_leading_zero()),
                       "e":b64(public.exponent().big_endian_without_leading_zero()),"kid":kid,"alg":"RS256","use":"sig"})
            }
            Self::EdDsa(k) => {
                json!({"kty":"OKP","crv":"Ed25519","x":b64(k.public_key().as_ref()),"kid":kid,"alg":"EdDSA","use":"sig"})
            }
            Self::Hs256(_) => panic!("HMAC keys are never published"),
        }
    }

    /// A signed token with the given header and claims.
    pub fn mint(&self, header: &Value, claims: &Value) -> String {
        mint_raw(
            header.to_string().as_bytes(),
            claims.to_string().as_bytes(),
            |m| self.sign(m),
        )
    }

    /// A signed token with `{"alg": <alg>, "kid": kid, "typ": "JWT"}`.
    pub fn token(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = json!({"alg": self.alg(), "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        self.mint(&header, claims)
    }
}

/// Assembles `b64(header).b64(payload).b64(sign(...))` from raw JSON bytes.
pub fn mint_raw(header: &[u8], payload: &[u8], sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64(signature))
}

/// How the JWKS server answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// `200` with the key set.
    Healthy,
    /// This status with a short body.
    Status(u16),
    /// The key set, after a delay.
    Slow(Duration),
    /// `200` with a body of this many bytes.
    Huge(usize),
    /// `302` to this location.
    Redirect(String),
    /// `200` with an HTML page.
    Html,
    /// The request is read, then the connection is reset (TCP RST).
    Reset,
    /// `200` with the key set, one byte every interval.
    Drip(Duration),
    /// `200` with a chunked body (no `Content-Length`) of this many bytes.
    HugeChunked(usize),
}

#[derive(Debug)]
struct IdpState {
    keys: Vec<Value>,
    mode: Mode,
    jwks_hits: u64,
    issuer: String,
}

type Shared = Arc<Mutex<IdpState>>;

/// A JWKS + OIDC discovery server on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct JwksServer {
    base: String,
    state: Shared,
    front: SocketAddr,
    inner: SocketAddr,
    accept: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl JwksServer {
    /// Starts serving `keys` at `/jwks.json` and discovery at
    /// `/.well-known/openid-configuration` (issuer = the server's base URL).
    pub async fn start(keys: Vec<Value>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let inner = listener.local_addr().expect("addr");
        let front_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let front = front_listener.local_addr().expect("addr");
        let base = format!("http://{front}");
        let state = Arc::new(Mutex::new(IdpState {
            keys,
            mode: Mode::Healthy,
            jwks_hits: 0,
            issuer: base.clone(),
        }));
        let app = Router::new()
            .route("/jwks.json", get(jwks))
            .route("/.well-known/jwks.json", get(jwks))
            .route("/.well-known/openid-configuration", get(discovery))
            .layer(axum::middleware::map_response(close_connection))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        let accept = tokio::spawn(accept_loop(front_listener, inner, state.clone()));
        Self {
            base,
            state,
            front,
            inner,
            accept: Arc::new(Mutex::new(Some(accept))),
        }
    }

    /// Stops listening: connections to the port are refused until [`reopen`](Self::reopen).
    pub async fn close(&self) {
        let task = self.accept.lock().expect("lock").take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await; // the listener is dropped with the task
        }
    }

    /// Listens on the same port again (after [`close`](Self::close)).
    pub async fn reopen(&self) {
        let mut listener = None;
        for _ in 0..50 {
            match TcpListener::bind(self.front).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let listener = listener.expect("rebind the same loopback port");
        let task = tokio::spawn(accept_loop(listener, self.inner, self.state.clone()));
        *self.accept.lock().expect("lock") = Some(task);
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks.json", self.base)
    }

    /// `127.0.0.1:<port>`, e.g. for a [`crate::tls_front::TlsFront`] in front of it.
    pub fn addr(&self) -> SocketAddr {
        self.front
    }

    /// Replaces the published keys.
    pub fn set_keys(&self, keys: Vec<Value>) {
        self.state.lock().expect("lock").keys = keys;
    }

    /// Changes how the server answers.
    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().expect("lock").mode = mode;
    }

    /// Sets the issuer declared by the discovery document.
    pub fn set_discovery_issuer(&self, issuer: &str) {
        self.state.lock().expect("lock").issuer = issuer.to_owned();
    }

    /// How many times the key set was requested (reset connections included).
    pub fn hits(&self) -> u64 {
        self.state.lock().expect("lock").jwks_hits
    }
}

async fn jwks(State(state): State<Arc<Mutex<IdpState>>>) -> Response {
    let (mode, keys) = {
        let mut s = state.lock().expect("lock");
        s.jwks_hits += 1;
        (s.mode.clone(), s.keys.clone())
    };
    match mode {
        Mode::Healthy => Json(json!({"keys": keys})).into_response(),
        Mode::Status(code) => {
            (StatusCode::from_u16(code).expect("status"), "unavailable").into_response()
        }
        Mode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            Json(json!({"keys": keys})).into_response()
        }
        Mode::Huge(size) => (
            [(header::CONTENT_TYPE, "application/json")],
            vec![b' '; size],
        )
            .into_response(),
        Mode::Redirect(location) => {
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        Mode::Html => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>login</body></html>",
        )
            .into_response(),
        // Socket-level modes are played by the TCP front and never reach here.
        Mode::Reset | Mode::Drip(_) | Mode::HugeChunked(_) => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn close_connection(mut response: Response) -> Response {
    let close = HeaderValue::from_static("close");
    response.headers_mut().insert(header::CONNECTION, close);
    response
}

async fn accept_loop(listener: TcpListener, inner: SocketAddr, state: Shared) {
    while let Ok((client, _)) = listener.accept().await {
        tokio::spawn(serve_connection(client, inner, state.clone()));
    }
}

/// Forwards one connection to the HTTP server, or plays a socket-level fault.
async fn serve_connection(mut client: TcpStream, inner: SocketAddr, state: Shared) {
    let mode = state.lock().expect("lock").mode.clone();
    if !matches!(mode, Mode::Reset | Mode::Drip(_) | Mode::HugeChunked(_)) {
        if let Ok(mut upstream) = TcpStream::connect(inner).await {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
        return;
    }
    let head = read_request_head(&mut client).await;
    if head.contains("jwks") {
        state.lock().expect("lock").jwks_hits += 1;
    }
    let keys = json!({"keys": state.lock().expect("lock").keys}).to_string();
    let _ = match mode {
        Mode::Reset => client.set_zero_linger(), // dropping the socket now sends RST
        Mode::Drip(interval) => drip(&mut client, keys.as_bytes(), interval).await,
        Mode::HugeChunked(size) => chunked(&mut client, size).await,
        _ => Ok(()),
    };
}

/// Reads up to the end of the request head (bodies are not expected on GET).
async fn read_request_head(client: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

async fn drip(client: &mut TcpStream, body: &[u8], interval: Duration) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).await?;
    for byte in body {
        client.write_all(std::slice::from_ref(byte)).await?;
        tokio::time::sleep(interval).await;
    }
    Ok(())
}

async fn chunked(client: &mut TcpStream, size: usize) -> std::io::Result<()> {
    client
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        .await?;
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < size {
        let n = chunk.len().min(size - sent);
        client.write_all(format!("{n:x}\r\n").as_bytes()).await?;
        client.write_all(&chunk[..n]).await?;
        client.write_all(b"\r\n").await?;
        sent += n;
    }
    client.write_all(b"0\r\n\r\n").await
}

async fn discovery(State(state): State<Arc<Mutex<IdpState>>>) -> Json<Value> {
    let issuer = state.lock().expect("lock").issuer.clone();
    let base = issuer.trim_end_matches('/').to_owned();
    Json(json!({"issuer": issuer, "jwks_uri": format!("{base}/jwks.json")}))
}

/// A loopback identity provider shaped like Supabase's: one ES256 key (kid `es`) served
/// by a [`JwksServer`], issuer `<base>/auth/v1`.
#[derive(Debug)]
pub struct Issuer {
    /// The signing key.
    pub key: TestKey,
    /// The server publishing it.
    pub server: JwksServer,
}

impl Issuer {
    /// The kid the key is published under.
    pub const KID: &'static str = "es";

    /// Starts serving the key.
    pub async fn start() -> Self {
        Self::start_with(|jwk| jwk).await
    }

    /// Starts serving the key's JWK as `edit` changes it (`key_ops`, `use`, …).
    pub async fn start_with(edit: impl FnOnce(Value) -> Value) -> Self {
        let key = TestKey::es256();
        let server = JwksServer::start(vec![edit(key.jwk(Self::KID))]).await;
        Self { key, server }
    }

    /// `<base>/auth/v1`.
    pub fn iss(&self) -> String {
        format!("{}/auth/v1", self.server.base())
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        self.server.jwks_url()
    }

    /// A token for `claims`, signed with the key (kid in the header).
    pub fn token(&self, claims: &Value) -> String {
        self.key.token(Some(Self::KID), claims)
    }

    /// The authorizer's variables for this issuer: `JWT_ISSUER` and `JWT_JWKS_URL`.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("JWT_ISSUER", self.iss()),
            ("JWT_JWKS_URL", self.jwks_url()),
        ]
    }
}
