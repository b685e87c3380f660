//! The strict JSON parser against serde_json's own `Value` parser on arbitrary bytes: it
//! never accepts what serde_json refuses, agrees with it on everything it accepts, and
//! accepts everything serde_json can print (which has no duplicate members).

#![no_main]

use jwt_authz::jws::parse_json_strict;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let strict = parse_json_strict(data);
    let lenient = serde_json::from_slice::<Value>(data);
    match (&strict, &lenient) {
        (Ok(s), Ok(l)) => assert_eq!(s, l),
        (Ok(_), Err(e)) => panic!("strict parser accepted what serde_json refuses: {e}"),
        (Err(_), _) => {}
    }
    if let Ok(value) = lenient {
        let printed = value.to_string();
        assert!(parse_json_strict(printed.as_bytes()).is_ok(), "{printed}");
    }
});
