//! Shared fixture of the fuzz targets: one [`Authorizer`] built once per process, with a
//! key-set issuer (a fixed P-256 key served by an in-memory fetcher, no network) and a
//! shared-secret issuer, plus channel rules; signing helpers; and the invariants every
//! accepted token must satisfy.
//!
//! The keys exist only for fuzzing; they protect nothing.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey};
use jwt_authz::{Authorizer, AuthorizerConfig, Dependencies, Fetcher, NoSecretStore};
use serde_json::{Map, Value, json};
use url::Url;

/// The fixed "now" of every decision (seconds since the epoch), so runs are reproducible.
pub const NOW: u64 = 1_900_000_000;
/// The key-set issuer.
pub const ES_ISS: &str = "https://es.fuzz.test/auth/v1";
/// The shared-secret issuer.
pub const HS_ISS: &str = "https://hs.fuzz.test/auth/v1";
/// The shared secret (fuzzing only).
pub const HS_SECRET: &str = "fuzzing-only-hs256-secret-0123456789abcdef";
/// `cacheTtlSeconds` of the fixture.
pub const CACHE_TTL: u64 = 300;
/// Claims leeway (the default).
pub const LEEWAY: u64 = 30;

const P256_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0crFMMwXC25Ihz+QI8O/6SQlBMxS4/eOb46j50Wk3IyhRANCAARZZ+qGZ6XIboojhFLGc+RyrCybMk9zKQEWyC86bAcNLEe9ZBpNr+fVM96hmEL2FDfsjJ2OY4Ghg1HBlbUJqtNr";
const P256_X: &str = "WWfqhmelyG6KI4RSxnPkcqwsmzJPcykBFsgvOmwHDSw";
const P256_Y: &str = "R71kGk2v59Uz3qGYQvYUN-yMnY5jgaGDUcGVtQmq02s";

/// A fetcher answering every URL with one fixed document.
#[derive(Debug)]
pub struct FixedJwks(pub Vec<u8>);

impl Fetcher for FixedJwks {
    fn get<'a>(&'a self, _url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, jwt_authz::Error>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

/// The authorizer under test, built on first use.
pub fn authorizer() -> &'static Authorizer {
    static AUTHORIZER: OnceLock<Authorizer> = OnceLock::new();
    AUTHORIZER.get_or_init(|| {
        let config: AuthorizerConfig = serde_json::from_value(json!({
            "issuers": [
                {"issuer": ES_ISS, "jwksUrl": "https://es.fuzz.test/auth/v1/.well-known/jwks.json"},
                {"issuer": HS_ISS, "secret": {"value": HS_SECRET}},
            ],
            "tokenPrefixes": ["supabase:"],
            "cacheTtlSeconds": CACHE_TTL,
            "channelRules": [
                {"channel": "/public/*", "operations": ["subscribe"]},
                {"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]},
            ],
        }))
        .expect("fixture configuration parses");
        let jwks = json!({"keys": [
            {"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"kid":"es","alg":"ES256","use":"sig"},
        ]});
        let deps = Dependencies {
            fetcher: Arc::new(FixedJwks(jwks.to_string().into_bytes())),
            secrets: Arc::new(NoSecretStore),
            jwks_policy: Default::default(),
        };
        Authorizer::new(&config, &deps).expect("fixture configuration compiles")
    })
}

/// `b64(header).b64(payload).b64(signature)` signed with the HS256 secret.
pub fn sign_hs256(header: &[u8], payload: &[u8]) -> String {
    sign(
        header,
        payload,
        &EncodingKey::from_secret(HS_SECRET.as_bytes()),
        Algorithm::HS256,
    )
}

/// `b64(header).b64(payload).b64(signature)` signed with the P-256 key.
pub fn sign_es256(header: &[u8], payload: &[u8]) -> String {
    let der = STANDARD.decode(P256_PKCS8).expect("fixture key decodes");
    sign(
        header,
        payload,
        &EncodingKey::from_ec_der(&der),
        Algorithm::ES256,
    )
}

fn sign(header: &[u8], payload: &[u8], key: &EncodingKey, alg: Algorithm) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("signs");
    format!("{input}.{signature}")
}

/// An Events connect request carrying `token`.
pub fn connect(token: &str) -> Value {
    json!({"authorizationToken": token,
           "requestContext": {"apiId": "a", "accountId": "1", "requestId": "r", "operation": "EVENT_CONNECT"}})
}

/// Panics unless `claims` satisfy every check the fixture's issuers make, and `ttl` is
/// bounded by the configured ceiling and the token's remaining lifetime.
pub fn assert_acceptable(claims: &Map<String, Value>, ttl: Option<u64>) {
    let iss = claims.get("iss").and_then(Value::as_str);
    assert!(iss == Some(ES_ISS) || iss == Some(HS_ISS), "issuer {iss:?}");
    let exp = claims
        .get("exp")
        .and_then(Value::as_f64)
        .expect("numeric exp");
    assert!(exp + LEEWAY as f64 > NOW as f64, "expired token accepted");
    for name in ["nbf", "iat"] {
        if let Some(t) = claims.get(name).filter(|v| !v.is_null()) {
            let t = t.as_f64().expect("numeric");
            assert!(
                t >= 0.0 && t < (NOW + LEEWAY + 1) as f64,
                "{name} in the future"
            );
        }
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .expect("string sub");
    assert!(!sub.is_empty());
    let aud = claims.get("aud").expect("aud");
    let expected = json!("authenticated");
    assert!(aud == &expected || aud.as_array().is_some_and(|a| a.contains(&expected)));
    assert_eq!(claims.get("role"), Some(&expected), "supabase role");
    if let Some(ttl) = ttl {
        assert!(ttl <= CACHE_TTL, "ttl above the ceiling");
        let remaining = (exp.min(u64::MAX as f64) as u64).saturating_sub(NOW);
        assert!(ttl <= remaining, "ttl outlives the token");
    }
}
