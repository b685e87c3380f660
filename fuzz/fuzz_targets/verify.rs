//! The whole verifier on arbitrary tokens. The first byte picks the mode:
//! - 0, 1: the rest is raw token text — it must never be accepted (that would be a
//!   forged signature);
//! - 2: the rest is `header 0xFF payload`, signed for real with the HS256 secret;
//! - 3: the same, signed with the P-256 key.
//!
//! Signed modes reach the claim and profile checks with arbitrary JSON; whatever is
//! accepted must satisfy every check, and the authorizer's answer for it must agree and
//! carry a bounded `ttlOverride`.

#![no_main]

use appsync_authorizer_fuzz::{
    NOW, assert_acceptable, authorizer, connect, sign_es256, sign_hs256,
};
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;

fn split<'a>(data: &'a [u8], default_header: &'a [u8]) -> (&'a [u8], &'a [u8]) {
    match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (default_header, data),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 4 {
        0 | 1 => String::from_utf8_lossy(rest).into_owned(),
        2 => {
            let (header, payload) = split(rest, br#"{"alg":"HS256"}"#);
            sign_hs256(header, payload)
        }
        _ => {
            let (header, payload) = split(rest, br#"{"alg":"ES256","kid":"es"}"#);
            sign_es256(header, payload)
        }
    };
    let authorizer = authorizer();
    let Ok(verified) = block_on(authorizer.verifier().verify(&token, NOW)) else {
        return;
    };
    assert!(
        mode % 4 >= 2,
        "attacker-written token accepted without the key"
    );
    assert_acceptable(&verified.claims, None);
    let decision = block_on(authorizer.authorize_at(&connect(&token), NOW));
    assert!(
        decision.response.is_authorized(),
        "verifier and authorizer disagree"
    );
    assert_acceptable(&verified.claims, decision.response.ttl());
});
