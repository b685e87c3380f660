//! Token extraction and JWS parsing on arbitrary `authorizationToken` text: never panics;
//! what extraction returns is a bounded, three-segment base64url substring of the input;
//! a parsed token reassembles to itself; a strictly parsed payload survives a round trip
//! (floats within a few ulps: serde_json's default float parser is not correctly rounded,
//! found by this target — see docs/fuzzing.md).

#![no_main]

use std::sync::OnceLock;

use jwt_authz::{AuthorizerConfig, MAX_TOKEN_LEN, NoSecretStore, UnverifiedToken, Verifier};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// A verifier used for its token extraction only (no key is ever fetched).
fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let config: AuthorizerConfig = serde_json::from_value(json!({
            "issuers": [{"issuer": "https://x.fuzz.test/", "secret": {"value": "fuzzing-only-hs256-secret-0123456789abcdef"}}],
            "tokenPrefixes": ["supabase:", "Token "],
            "tokenSuffixes": [".wrapped"],
        }))
        .expect("config");
        let deps = jwt_authz::Dependencies {
            fetcher: std::sync::Arc::new(appsync_authorizer_fuzz::FixedJwks(Vec::new())),
            secrets: std::sync::Arc::new(NoSecretStore),
            jwks_policy: Default::default(),
        };
        Verifier::new(&config, &deps).expect("verifier")
    })
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Ok(token) = verifier().extract(&input) else {
        return;
    };
    assert!(input.len() <= MAX_TOKEN_LEN);
    assert!(input.contains(token));
    let Ok(parsed) = UnverifiedToken::parse(token) else {
        return;
    };
    assert_ne!(parsed.kid(), Some(""));
    if let Ok(claims) = parsed.claims() {
        let value = Value::Object(claims);
        let again = serde_json::to_string(&value).expect("prints");
        let reparsed = format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", b64(again.as_bytes()));
        let again = Value::Object(
            UnverifiedToken::parse(&reparsed)
                .and_then(|t| t.claims())
                .expect("own output"),
        );
        assert!(same(&value, &again), "round trip: {value} vs {again}");
    }
});

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Equal, except that floats may differ by a few ulps.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
