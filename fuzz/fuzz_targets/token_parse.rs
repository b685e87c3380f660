//! Token extraction and JWS parsing on arbitrary `authorizationToken` text: never panics;
//! what extraction returns is a bounded, three-segment base64url substring of the input;
//! a parsed token reassembles to itself; a strictly parsed payload survives a round trip.

#![no_main]

use std::sync::OnceLock;

use jwt_authz::extract::{MAX_TOKEN_LEN, TokenExtractor, is_compact_jws};
use jwt_authz::jws;
use libfuzzer_sys::fuzz_target;

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
        let again = jws::parse_json_strict(value.to_string().as_bytes());
        assert_eq!(again.ok().as_ref(), Some(&value), "round trip");
    }
});
