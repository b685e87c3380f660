//! The strict JSON parser (through a token's claims) against serde_json's own `Value`
//! parser on arbitrary bytes: it never accepts what serde_json refuses, agrees with it on
//! every object it accepts, and accepts every object serde_json can print (which has no
//! duplicate members).

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_authz::UnverifiedToken;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// `bytes` as the claims of a token (header `{"alg":"HS256"}`), parsed strictly.
fn parse_json_strict(bytes: &[u8]) -> Option<Map<String, Value>> {
    let token = format!(
        "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
        URL_SAFE_NO_PAD.encode(bytes)
    );
    UnverifiedToken::parse(&token).ok()?.claims().ok()
}

fuzz_target!(|data: &[u8]| {
    let strict = parse_json_strict(data);
    let lenient = serde_json::from_slice::<Value>(data);
    match (&strict, &lenient) {
        (Some(s), Ok(Value::Object(l))) => assert_eq!(s, l),
        (Some(_), Ok(_)) => panic!("strict parser accepted a non-object as claims"),
        (Some(_), Err(e)) => panic!("strict parser accepted what serde_json refuses: {e}"),
        (None, _) => {}
    }
    if let Ok(value @ Value::Object(_)) = lenient {
        let printed = value.to_string();
        assert!(parse_json_strict(printed.as_bytes()).is_some(), "{printed}");
    }
});
