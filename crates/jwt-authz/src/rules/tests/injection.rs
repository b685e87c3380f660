//! Property tests: no claim value lets a request outside `/users/<that exact segment>/…`
//! through a `/users/{sub}/*` rule.

use appsync_types::ChannelPath;
use appsync_types::channel::is_valid_segment;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{channel_rules, claims};
use crate::rules::{ChannelRules, Operation, RuleDecision};

fn owner_rules() -> ChannelRules {
    channel_rules(json!([
        {"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]}
    ]))
}

/// Claim strings: arbitrary text, near-misses built from path syntax, and valid segments.
fn claim_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9/*. {}_-]{0,12}",
        "[a-zA-Z0-9-]{1,12}",
        Just("*".to_owned()),
        Just("../x".to_owned()),
        Just("a/b".to_owned()),
    ]
}

/// A requested path built from the claim itself, pieces of it, and other segments, so
/// that injection attempts (the claim spliced into the path) are common.
fn requested_path(sub: String) -> impl Strategy<Value = String> {
    let pieces: Vec<String> = sub.split('/').map(str::to_owned).collect();
    let segment = prop_oneof![
        3 => Just(sub.clone()),
        2 => proptest::sample::select(pieces),
        1 => Just("*".to_owned()),
        1 => Just("users".to_owned()),
        2 => "[a-z0-9-]{1,4}",
        1 => "[a-zA-Z0-9/*.-]{0,6}",
    ];
    let namespace = prop_oneof![4 => Just("users".to_owned()), 1 => "[a-z]{1,6}"];
    (
        namespace,
        proptest::collection::vec(segment, 0..5),
        any::<bool>(),
    )
        .prop_map(|(namespace, rest, leading_slash)| {
            let path = std::iter::once(namespace).chain(rest).collect::<Vec<_>>();
            let slash = if leading_slash { "/" } else { "" };
            format!("{slash}{}", path.join("/"))
        })
}

/// Whether `channel` lies entirely within `/users/<sub>/…`, one or more segments below.
fn inside_own_space(channel: &ChannelPath, sub: &str) -> bool {
    let segments: Vec<&str> = channel.segments().collect();
    is_valid_segment(sub) && segments.len() >= 3 && segments[0] == "users" && segments[1] == sub
}

fn decide(op: Operation, channel: &ChannelPath, sub: Value) -> RuleDecision {
    owner_rules().decide(op, Some(channel), &claims(json!({ "sub": sub })))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn no_claim_string_grants_a_channel_outside_its_own_segment(
        (sub, path) in claim_text().prop_flat_map(|sub| (Just(sub.clone()), requested_path(sub)))
    ) {
        // Paths the authorizer cannot parse never reach the rules.
        let Ok(channel) = ChannelPath::parse_lenient(&path) else { return Ok(()) };
        for op in [Operation::Subscribe, Operation::Publish] {
            let decision = decide(op, &channel, Value::String(sub.clone()));
            if decision.is_allowed() {
                prop_assert!(
                    inside_own_space(&channel, &sub),
                    "{op} {channel} allowed for sub {sub:?}"
                );
            }
            // And the owner is not locked out of their own space.
            let publishable = op == Operation::Subscribe || !channel.is_wildcard();
            if inside_own_space(&channel, &sub) && publishable {
                prop_assert!(decision.is_allowed(), "{op} {channel} denied for sub {sub:?}");
            }
        }
    }

    #[test]
    fn an_integer_claim_matches_only_its_exact_decimal_text(
        sub in any::<i64>(),
        segment in prop_oneof!["-?[0-9]{1,20}", Just("0".to_owned())],
    ) {
        let channel = ChannelPath::parse(&format!("/users/{segment}/x")).expect("digits are valid");
        let allowed = decide(Operation::Subscribe, &channel, json!(sub)).is_allowed();
        prop_assert_eq!(allowed, segment == sub.to_string());
        let own = ChannelPath::parse(&format!("/users/{sub}/x")).expect("digits are valid");
        prop_assert!(decide(Operation::Publish, &own, json!(sub)).is_allowed());
    }

    #[test]
    fn claims_that_are_not_strings_or_integers_never_match(
        sub in prop_oneof![
            any::<f64>().prop_filter("non-integral", |f| f.fract() != 0.0).prop_map(|f| json!(f)),
            any::<bool>().prop_map(|b| json!(b)),
            "[a-z0-9]{1,4}".prop_map(|s| json!([s])),
            "[a-z0-9]{1,4}".prop_map(|s| json!({ "id": s })),
            Just(Value::Null),
        ],
        segment in "[a-z0-9.-]{1,8}",
    ) {
        let Ok(channel) = ChannelPath::parse(&format!("/users/{segment}/x")) else { return Ok(()) };
        prop_assert!(!decide(Operation::Subscribe, &channel, sub).is_allowed());
    }
}
