//! Properties of the whole verifier with real keys (an ES256 key set and an HS256 secret):
//! arbitrary input and mutated valid tokens never panic and are never accepted, and a
//! validly signed token is accepted only when its claims pass every check.
//!
//! Case counts are bounded so the suite stays fast enough for CI; the fuzz targets in
//! `fuzz/` explore the same surface for longer.

mod common;

use common::{ES_ISS, HS_ISS, KID, NOW, claims, es256_token, hs256_raw, hs256_token, verifier};
use jwt_authz::Verifier;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

/// Verifies `token`; `Ok` carries the accepted claims.
fn verify(
    rt: &tokio::runtime::Runtime,
    v: &Verifier,
    token: &str,
) -> Result<Map<String, Value>, String> {
    rt.block_on(v.verify(token, NOW))
        .map(|verified| (*verified.claims).clone())
        .map_err(|denial| denial.code().to_owned())
}

/// One edit of a token's text.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    SwapSegments(usize, usize),
    RepeatSegment(usize),
}

/// Characters an attacker might splice in (no whitespace: surrounding whitespace is
/// legitimately trimmed, so it would not make the token different).
fn splice_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('A', 'Z'),
        proptest::char::range('a', 'z'),
        proptest::char::range('0', '9'),
        proptest::sample::select(vec!['-', '_', '.', '=', '+', '/', '%', 'ä', '€', '\u{0}']),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), splice_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), splice_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        (0..3usize, 0..3usize).prop_map(|(a, b)| Mutation::SwapSegments(a, b)),
        (0..3usize).prop_map(Mutation::RepeatSegment),
    ]
}

fn apply(token: &str, mutation: &Mutation) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *mutation {
        // An earlier mutation may have emptied the token: nothing to replace or delete.
        Mutation::Replace(i, c) if !chars.is_empty() => {
            let i = at(i, chars.len());
            chars[i] = c;
        }
        Mutation::Insert(i, c) => chars.insert(at(i, chars.len() + 1), c),
        Mutation::Delete(i) if !chars.is_empty() => {
            chars.remove(at(i, chars.len()));
        }
        Mutation::Replace(..) | Mutation::Delete(_) => {}
        Mutation::Truncate(i) => chars.truncate(at(i, chars.len())),
        Mutation::SwapSegments(a, b) => {
            let mut segments: Vec<&str> = token.split('.').collect();
            let n = segments.len();
            segments.swap(a % n, b % n);
            return segments.join(".");
        }
        Mutation::RepeatSegment(a) => {
            let segments: Vec<&str> = token.split('.').collect();
            let n = segments.len();
            let mut out = segments.clone();
            out[(a + 1) % n] = segments[a % n];
            return out.join(".");
        }
    }
    chars.into_iter().collect()
}

/// Claim values drawn from both valid and hostile shapes, so that some signed payloads
/// pass and many fail for different reasons.
fn claim_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!(HS_ISS)),
        Just(json!("authenticated")),
        Just(json!("anon")),
        Just(json!("")),
        Just(json!(["authenticated", "other"])),
        Just(json!([1])),
        Just(json!(NOW + 3600)),
        Just(json!(NOW - 3600)),
        Just(json!((NOW + 60) as f64 + 0.5)),
        Just(json!(1e300)),
        Just(json!(-1)),
        Just(json!(true)),
        Just(Value::Null),
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn claim_set() -> impl Strategy<Value = Map<String, Value>> {
    let names = proptest::sample::select(vec![
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "role",
        "is_anonymous",
        "aal",
        "extra",
    ]);
    (
        proptest::collection::vec((names, claim_value()), 0..10),
        any::<bool>(),
    )
        .prop_map(|(pairs, start_valid)| {
            let mut map = if start_valid {
                claims(HS_ISS).as_object().cloned().unwrap_or_default()
            } else {
                Map::new()
            };
            for (name, value) in pairs {
                map.insert(name.to_owned(), value);
            }
            map
        })
}

/// What every accepted token must satisfy (the Supabase profile's defaults).
fn assert_acceptable(claims: &Map<String, Value>) {
    assert_eq!(claims.get("iss"), Some(&json!(HS_ISS)));
    let exp = claims
        .get("exp")
        .and_then(Value::as_f64)
        .expect("numeric exp");
    assert!(
        exp >= (NOW - 30) as f64,
        "expired token accepted: {claims:?}"
    );
    for late in ["nbf", "iat"] {
        if let Some(t) = claims.get(late).filter(|v| !v.is_null()) {
            let t = t.as_f64().expect("numeric");
            assert!(
                t >= 0.0 && t < (NOW + 31) as f64,
                "{late} in the future: {claims:?}"
            );
        }
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .expect("string sub");
    assert!(!sub.is_empty());
    let aud = claims.get("aud").expect("aud");
    assert!(
        aud == "authenticated"
            || aud
                .as_array()
                .is_some_and(|a| a.contains(&json!("authenticated"))),
        "audience: {aud}"
    );
    assert_eq!(claims.get("role"), Some(&json!("authenticated")));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_are_never_accepted(input in any::<String>()) {
        let (rt, v) = (runtime(), verifier());
        prop_assert!(verify(&rt, &v, &input).is_err());
    }

    #[test]
    fn arbitrary_jws_shaped_strings_are_never_accepted(
        input in "(Bearer )?[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,300}\\.[A-Za-z0-9_-]{0,120}"
    ) {
        let (rt, v) = (runtime(), verifier());
        prop_assert!(verify(&rt, &v, &input).is_err());
    }

    #[test]
    fn mutated_valid_tokens_are_never_accepted(
        es in any::<bool>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let (rt, v) = (runtime(), verifier());
        let valid = if es { es256_token(KID, &claims(ES_ISS)) } else { hs256_token(&claims(HS_ISS)) };
        prop_assert!(verify(&rt, &v, &valid).is_ok(), "the unmutated token is valid");
        let mutated = mutations.iter().fold(valid.clone(), |t, m| apply(&t, m));
        prop_assume!(mutated != valid);
        prop_assert!(verify(&rt, &v, &mutated).is_err(), "accepted {mutations:?}");
    }

    #[test]
    fn signed_arbitrary_claims_are_accepted_only_when_every_check_passes(claims in claim_set()) {
        let (rt, v) = (runtime(), verifier());
        let payload = serde_json::to_vec(&claims).expect("json");
        let token = hs256_raw(br#"{"alg":"HS256","typ":"JWT"}"#, &payload);
        if let Ok(accepted) = verify(&rt, &v, &token) {
            prop_assert_eq!(&accepted, &claims);
            assert_acceptable(&accepted);
        }
    }

    #[test]
    fn signed_arbitrary_header_and_payload_bytes_never_panic(
        header in proptest::collection::vec(any::<u8>(), 0..64),
        payload in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let (rt, v) = (runtime(), verifier());
        prop_assert!(verify(&rt, &v, &hs256_raw(&header, &payload)).is_err());
    }
}

#[test]
fn the_claim_oracle_is_not_vacuous() {
    // The valid base set passes; so the property above does see accepted tokens.
    let (rt, v) = (runtime(), verifier());
    let mut base = claims(HS_ISS).as_object().cloned().expect("object");
    base.insert("extra".into(), json!({"nested": [1, "two"]}));
    let token = hs256_raw(
        br#"{"alg":"HS256"}"#,
        &serde_json::to_vec(&base).expect("json"),
    );
    assert_acceptable(&verify(&rt, &v, &token).expect("accepted"));
}
