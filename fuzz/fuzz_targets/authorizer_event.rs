//! Whole authorizer events from arbitrary bytes: request deserialization
//! (`AuthorizerRequest::from_value`), channel parsing, and the full decision with channel
//! rules. An `authorizationToken` of `"$VALID"` is replaced by a validly signed token for
//! `sub = fuzz-user`, so the fuzzer reaches the channel rules. Oracles: nothing
//! unparseable is allowed; every deny has `ttlOverride: 0`; a subscribe/publish allow is
//! never cached and stays inside the rules' channels; a connect allow's TTL is bounded.

#![no_main]

use appsync_authorizer_fuzz::{NOW, authorizer, sign_hs256};
use appsync_types::{AuthorizerRequest, ChannelPath};
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const SUB: &str = "fuzz-user";

fn valid_token() -> String {
    let claims = json!({"iss": appsync_authorizer_fuzz::HS_ISS, "sub": SUB, "aud": "authenticated",
                        "role": "authenticated", "iat": NOW - 10, "exp": NOW + 3600});
    sign_hs256(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        claims.to_string().as_bytes(),
    )
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if event.get("authorizationToken").and_then(Value::as_str) == Some("$VALID") {
        event["authorizationToken"] = json!(valid_token());
    }
    let request = AuthorizerRequest::from_value(&event);
    let channel = event
        .pointer("/requestContext/channel")
        .and_then(Value::as_str);
    if let Some(raw) = channel {
        if let Ok(strict) = ChannelPath::parse(raw) {
            assert_eq!(ChannelPath::parse_lenient(raw).ok(), Some(strict.clone()));
            assert!(strict.as_str().starts_with('/'));
        }
        if let Ok(concrete) = ChannelPath::parse_publish(raw) {
            assert!(!concrete.is_wildcard());
        }
    }
    let decision = block_on(authorizer().authorize_at(&event, NOW));
    let response = &decision.response;
    if !response.is_authorized() {
        assert_eq!(response.ttl(), Some(0), "a deny is never cached");
        return;
    }
    let request = request.expect("only understood requests are allowed");
    let operation = event
        .pointer("/requestContext/operation")
        .and_then(Value::as_str);
    assert!(response.ttl().is_some_and(|ttl| ttl <= 300));
    if let (AuthorizerRequest::Events(_), Some("EVENT_SUBSCRIBE" | "EVENT_PUBLISH")) =
        (&request, operation)
    {
        assert_eq!(
            response.ttl(),
            Some(0),
            "channel-scoped allows are not cached"
        );
        let path = ChannelPath::parse_lenient(channel.expect("allowed with a channel"))
            .expect("allowed channels are valid");
        let own = format!("/users/{SUB}/");
        let public = operation == Some("EVENT_SUBSCRIBE") && path.as_str().starts_with("/public/");
        assert!(
            public || path.as_str().starts_with(&own),
            "outside the rules: {}",
            path.as_str()
        );
        if operation == Some("EVENT_PUBLISH") {
            assert!(!path.is_wildcard(), "publish to a wildcard");
        }
    }
});
