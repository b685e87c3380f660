//! Fixtures shared by the integration tests: a fixed test-only P-256 key and an HS256
//! secret, token minting, verifiers built on them, and a loopback JWKS server that
//! misbehaves on command and counts its hits.
//!
//! The keys below exist only for these tests; they protect nothing.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use jwt_authz::{
    AuthorizerConfig, Dependencies, Fetcher, IssuerConfig, JwksPolicy, NoSecretStore, SecretRef,
    Verifier,
};
use serde_json::{Value, json};
use url::Url;

/// PKCS#8 DER (base64) of a P-256 key generated for these tests only.
const P256_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0crFMMwXC25Ihz+QI8O/6SQlBMxS4/eOb46j50Wk3IyhRANCAARZZ+qGZ6XIboojhFLGc+RyrCybMk9zKQEWyC86bAcNLEe9ZBpNr+fVM96hmEL2FDfsjJ2OY4Ghg1HBlbUJqtNr";
const P256_X: &str = "WWfqhmelyG6KI4RSxnPkcqwsmzJPcykBFsgvOmwHDSw";
const P256_Y: &str = "R71kGk2v59Uz3qGYQvYUN-yMnY5jgaGDUcGVtQmq02s";

/// The HS256 secret of the shared-secret issuer (test-only, ≥ 32 bytes).
pub const HS_SECRET: &str = "integration-test-hs256-secret-0123456789abcdef";
/// The issuer whose keys come from a key set.
pub const ES_ISS: &str = "https://es.issuer.test/auth/v1";
/// The issuer verified with [`HS_SECRET`].
pub const HS_ISS: &str = "https://hs.issuer.test/auth/v1";
/// The `kid` of the P-256 key in the key set.
pub const KID: &str = "test-es256";
/// A fixed "now" (seconds since the epoch) for verifications.
pub const NOW: u64 = 1_900_000_000;

/// The public JWK of the test key, under `kid`.
pub fn jwk(kid: &str) -> Value {
    json!({"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"kid":kid,"alg":"ES256","use":"sig"})
}

/// Valid Supabase-shaped claims for `iss` at [`NOW`].
pub fn claims(iss: &str) -> Value {
    json!({"iss": iss, "sub": "user-1", "aud": "authenticated", "role": "authenticated",
           "iat": NOW - 10, "exp": NOW + 3600})
}

/// A token signed with the test P-256 key.
pub fn es256_token(kid: &str, claims: &Value) -> String {
    let der = STANDARD.decode(P256_PKCS8).expect("test key decodes");
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&der)).expect("signs")
}

/// A token signed with [`HS_SECRET`].
pub fn hs256_token(claims: &Value) -> String {
    let key = EncodingKey::from_secret(HS_SECRET.as_bytes());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).expect("signs")
}

/// Signs arbitrary header and payload bytes with [`HS_SECRET`] (for hostile JSON that no
/// JWT library would produce).
pub fn hs256_raw(header: &[u8], payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let key = EncodingKey::from_secret(HS_SECRET.as_bytes());
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).expect("signs");
    format!("{input}.{signature}")
}

/// A fetcher that always answers with one fixed JWKS document, for tests that exercise
/// verification rather than fetching.
#[derive(Debug)]
pub struct FixedJwks(pub Vec<u8>);

impl Fetcher for FixedJwks {
    fn get<'a>(&'a self, _url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, jwt_authz::Error>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

/// A verifier with the key-set issuer [`ES_ISS`] (serving [`jwk`]`(KID)`) and the
/// shared-secret issuer [`HS_ISS`].
pub fn verifier() -> Verifier {
    let body = serde_json::to_vec(&json!({"keys": [jwk(KID)]})).expect("json");
    let config = AuthorizerConfig {
        issuers: vec![
            IssuerConfig {
                issuer: ES_ISS.into(),
                jwks_url: Some("https://es.issuer.test/auth/v1/.well-known/jwks.json".into()),
                ..Default::default()
            },
            IssuerConfig {
                issuer: HS_ISS.into(),
                secret: Some(SecretRef::Value(HS_SECRET.into())),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let deps = Dependencies {
        fetcher: Arc::new(FixedJwks(body)),
        secrets: Arc::new(NoSecretStore),
        jwks_policy: JwksPolicy::default(),
    };
    Verifier::new(&config, &deps).expect("test configuration compiles")
}

/// How the loopback JWKS server answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// `200` with the key set.
    Healthy,
    /// This status.
    Status(u16),
    /// The key set after a delay.
    Slow(Duration),
}

#[derive(Debug)]
struct ServerState {
    keys: Mutex<Vec<Value>>,
    mode: Mutex<Mode>,
    hits: AtomicU64,
}

/// A JWKS server on 127.0.0.1 (port 0), stopped when the test's runtime ends.
#[derive(Debug, Clone)]
pub struct JwksServer {
    url: Url,
    state: Arc<ServerState>,
}

impl JwksServer {
    /// Serves `keys` at `/jwks.json`.
    pub async fn start(keys: Vec<Value>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(ServerState {
            keys: Mutex::new(keys),
            mode: Mutex::new(Mode::Healthy),
            hits: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/jwks.json", get(serve))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        let url = Url::parse(&format!("http://{addr}/jwks.json")).expect("url");
        Self { url, state }
    }

    /// The key set URL.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// Replaces the published keys.
    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.state.keys.lock().expect("lock") = keys;
    }

    /// Changes how the server answers from now on.
    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().expect("lock") = mode;
    }

    /// Requests received so far.
    pub fn hits(&self) -> u64 {
        self.state.hits.load(Ordering::SeqCst)
    }
}

async fn serve(State(state): State<Arc<ServerState>>) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let mode = state.mode.lock().expect("lock").clone();
    let body = || json!({"keys": *state.keys.lock().expect("lock")}).to_string();
    match mode {
        Mode::Healthy => body().into_response(),
        Mode::Status(code) => (StatusCode::from_u16(code).expect("status"), "down").into_response(),
        Mode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            body().into_response()
        }
    }
}
