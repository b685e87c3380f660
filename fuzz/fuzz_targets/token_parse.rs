//! Token extraction and JWS parsing on arbitrary `authorizationToken` text: never panics;
//! what extraction returns is a bounded, three-segment base64url substring of the input;
//! a parsed token reassembles to itself; a strictly parsed payload survives a round trip
//! (floats within a few ulps: serde_json's default float parser is not correctly rounded,
//! found by this target — see docs/fuzzing.md).

#![no_main]

use std::sync::OnceLock;

use jwt_authz::extract::{MAX_TOKEN_LEN, TokenExtractor, is_compact_jws};
use jwt_authz::jws;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn extractor() -> &'static TokenExtractor {
    static EXTRACTOR: OnceLock<TokenExtractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| {
        TokenExtractor::new(
            vec!["supabase:".into(), "Token ".into()],
            vec![".wrapped".into()],
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Ok(token) = extractor().extract(&input) else {
        return;
    };
    assert!(input.len() <= MAX_TOKEN_LEN);
    assert!(is_compact_jws(token) && input.contains(token));
    let Ok(parsed) = jws::parse(token) else {
        return;
    };
    assert_eq!(
        format!("{}.{}", parsed.signing_input, parsed.signature),
        token
    );
    assert_ne!(parsed.header.kid.as_deref(), Some(""));
    let Ok(payload) = jws::decode_segment(parsed.payload) else {
        return;
    };
    if let Ok(value) = jws::parse_json_strict(&payload) {
        let again = jws::parse_json_strict(value.to_string().as_bytes()).expect("own output");
        assert!(same(&value, &again), "round trip: {value} vs {again}");
    }
});

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
