//! The decision table: (rules, claims, operation, channel) → decision and reason.

use serde_json::{Value, json};

use super::{channel, channel_rules, claims};
use crate::rules::{ChannelRules, Operation, RuleDecision, RuleDenial};

use Operation::{Connect, Publish, Subscribe};
use RuleDenial::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Unrestricted,
    Allowed,
    Denied(RuleDenial),
}

struct Case {
    name: &'static str,
    claims: Value,
    op: Operation,
    channel: Option<&'static str>,
    expect: Expect,
}

fn case(
    name: &'static str,
    claims: Value,
    op: Operation,
    channel: Option<&'static str>,
    expect: Expect,
) -> Case {
    Case {
        name,
        claims,
        op,
        channel,
        expect,
    }
}

fn run(rules: &ChannelRules, cases: Vec<Case>) {
    let mut failures = Vec::new();
    for c in cases {
        let requested = c.channel.map(channel);
        let got = rules.decide(c.op, requested.as_ref(), &claims(c.claims));
        let want = match c.expect {
            Expect::Unrestricted => RuleDecision::Unrestricted,
            Expect::Allowed => RuleDecision::Allowed {
                depends_on_channel: c.op != Connect,
            },
            Expect::Denied(reason) => RuleDecision::Denied(reason),
        };
        if got != want {
            failures.push(format!(
                "{}: {} {:?}: got {got:?}, want {want:?}",
                c.name, c.op, c.channel
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The worked Supabase example from docs/channel-rules.md.
fn supabase_rules() -> ChannelRules {
    channel_rules(json!([
        {"channel": "/public/*", "operations": ["subscribe"]},
        {"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"],
         "when": [{"claim": "is_anonymous", "equals": false}]},
        {"channel": "/orgs/{app_metadata.org_id}/*", "operations": ["subscribe", "publish"]},
        {"channel": "/announcements/*", "operations": ["subscribe"]},
        {"channel": "/announcements/*", "operations": ["publish"],
         "when": [{"claim": "app_metadata.role", "equals": "admin"}]},
        {"channel": "/secure/*", "operations": ["subscribe", "publish"],
         "when": [{"claim": "aal", "equals": "aal2"}]}
    ]))
}

fn alice() -> Value {
    json!({"sub": "alice-1", "role": "authenticated", "aal": "aal1", "is_anonymous": false,
           "app_metadata": {"provider": "email", "org_id": "org-7", "role": "member"}})
}

fn with(mut claims: Value, path: &[&str], value: Value) -> Value {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut target = &mut claims;
    for key in parents {
        target = &mut target[*key];
    }
    target[*last] = value;
    claims
}

#[test]
#[rustfmt::skip]
fn no_rules_leave_every_operation_unrestricted() {
    let rules = channel_rules(json!([]));
    assert!(rules.is_empty());
    run(
        &rules,
        vec![
            case("connect", json!({}), Connect, None, Expect::Unrestricted),
            case("subscribe", json!({}), Subscribe, Some("/any/*"), Expect::Unrestricted),
            case("publish", json!({}), Publish, Some("/any/x"), Expect::Unrestricted),
            case("no channel", json!({}), Publish, None, Expect::Unrestricted),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn supabase_rules_grant_exactly_what_the_docs_say() {
    let admin = with(alice(), &["app_metadata", "role"], json!("admin"));
    let anonymous = with(alice(), &["is_anonymous"], json!(true));
    let aal2 = with(alice(), &["aal"], json!("aal2"));
    run(
        &supabase_rules(),
        vec![
            // Every authenticated user may subscribe to /public/*, but not publish there.
            case("public sub", alice(), Subscribe, Some("/public/news"), Expect::Allowed),
            case("public deep", alice(), Subscribe, Some("/public/a/b/c"), Expect::Allowed),
            case("public star", alice(), Subscribe, Some("/public/*"), Expect::Allowed),
            case("public ns", alice(), Subscribe, Some("/public"), Expect::Denied(NoMatchingRule)),
            case("public pub", alice(), Publish, Some("/public/news"), Expect::Denied(NoMatchingRule)),
            // Owner-only channels.
            case("own sub", alice(), Subscribe, Some("/users/alice-1/inbox"), Expect::Allowed),
            case("own pub", alice(), Publish, Some("/users/alice-1/inbox"), Expect::Allowed),
            case("own star", alice(), Subscribe, Some("/users/alice-1/*"), Expect::Allowed),
            case("own deep star", alice(), Subscribe, Some("/users/alice-1/a/*"), Expect::Allowed),
            case("lenient path", alice(), Subscribe, Some("users/alice-1/inbox"), Expect::Allowed),
            case("own bare", alice(), Subscribe, Some("/users/alice-1"), Expect::Denied(NoMatchingRule)),
            case("other user", alice(), Subscribe, Some("/users/bob-2/inbox"), Expect::Denied(NoMatchingRule)),
            case("other star", alice(), Subscribe, Some("/users/bob-2/*"), Expect::Denied(NoMatchingRule)),
            case("all users", alice(), Subscribe, Some("/users/*"), Expect::Denied(WildcardTooBroad)),
            case("case differs", alice(), Subscribe, Some("/users/Alice-1/x"), Expect::Denied(NoMatchingRule)),
            case("anonymous owner", anonymous.clone(), Subscribe, Some("/users/alice-1/x"), Expect::Denied(ConditionFailed)),
            case("anonymous public", anonymous, Subscribe, Some("/public/x"), Expect::Allowed),
            // Org channels from app_metadata.
            case("own org", alice(), Publish, Some("/orgs/org-7/chat"), Expect::Allowed),
            case("other org", alice(), Subscribe, Some("/orgs/org-8/chat"), Expect::Denied(NoMatchingRule)),
            case("all orgs", alice(), Subscribe, Some("/orgs/*"), Expect::Denied(WildcardTooBroad)),
            case("no org claim", json!({"sub": "alice-1"}), Subscribe, Some("/orgs/org-7/chat"), Expect::Denied(NoMatchingRule)),
            // Admin-only publish.
            case("announce sub", alice(), Subscribe, Some("/announcements/all"), Expect::Allowed),
            case("announce member", alice(), Publish, Some("/announcements/all"), Expect::Denied(ConditionFailed)),
            case("announce admin", admin.clone(), Publish, Some("/announcements/all"), Expect::Allowed),
            case("announce wildcard", admin, Publish, Some("/announcements/*"), Expect::Denied(PublishToWildcard)),
            // aal2 namespace.
            case("secure aal1", alice(), Subscribe, Some("/secure/x"), Expect::Denied(ConditionFailed)),
            case("secure aal2", aal2.clone(), Subscribe, Some("/secure/x"), Expect::Allowed),
            case("secure no aal", json!({"sub": "alice-1"}), Subscribe, Some("/secure/x"), Expect::Denied(ConditionFailed)),
            // Unknown namespaces, missing channels, connect.
            case("unknown ns", alice(), Subscribe, Some("/other/x"), Expect::Denied(NoMatchingRule)),
            case("root star", alice(), Subscribe, Some("/other/*"), Expect::Denied(NoMatchingRule)),
            case("no channel sub", alice(), Subscribe, None, Expect::Denied(MissingChannel)),
            case("no channel pub", alice(), Publish, None, Expect::Denied(MissingChannel)),
            case("connect", alice(), Connect, None, Expect::Unrestricted),
            case("connect anyone", json!({}), Connect, Some("/users/x"), Expect::Unrestricted),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn placeholder_claims_that_are_not_a_valid_segment_never_match() {
    let rules = supabase_rules();
    let owner = |sub: Value| json!({"sub": sub, "is_anonymous": false});
    run(
        &rules,
        vec![
            case("slash", owner(json!("a/b")), Subscribe, Some("/users/a/b/c"), Expect::Denied(NoMatchingRule)),
            case("slash prefix", owner(json!("a/b")), Subscribe, Some("/users/a/*"), Expect::Denied(NoMatchingRule)),
            // `/users/*` is too broad whatever the claim; the `*` claim does not make it match.
            case("star", owner(json!("*")), Subscribe, Some("/users/*"), Expect::Denied(WildcardTooBroad)),
            case("star deep", owner(json!("*")), Subscribe, Some("/users/x/y"), Expect::Denied(NoMatchingRule)),
            case("dots", owner(json!("../x")), Subscribe, Some("/users/x/y"), Expect::Denied(NoMatchingRule)),
            case("empty", owner(json!("")), Subscribe, Some("/users/x/y"), Expect::Denied(NoMatchingRule)),
            case("space", owner(json!("a b")), Subscribe, Some("/users/a/y"), Expect::Denied(NoMatchingRule)),
            case("unicode", owner(json!("ä")), Subscribe, Some("/users/a/y"), Expect::Denied(NoMatchingRule)),
            case("object", owner(json!({"a": 1})), Subscribe, Some("/users/a/y"), Expect::Denied(NoMatchingRule)),
            case("array", owner(json!(["a"])), Subscribe, Some("/users/a/y"), Expect::Denied(NoMatchingRule)),
            case("null", owner(Value::Null), Subscribe, Some("/users/null/y"), Expect::Denied(NoMatchingRule)),
            case("bool", owner(json!(true)), Subscribe, Some("/users/true/y"), Expect::Denied(NoMatchingRule)),
            case("float", owner(json!(1.5)), Subscribe, Some("/users/1/y"), Expect::Denied(NoMatchingRule)),
            case("missing", json!({"is_anonymous": false}), Subscribe, Some("/users/x/y"), Expect::Denied(NoMatchingRule)),
            // Integers stand for their exact decimal text.
            case("integer", owner(json!(42)), Subscribe, Some("/users/42/y"), Expect::Allowed),
            case("integer padded", owner(json!(42)), Subscribe, Some("/users/042/y"), Expect::Denied(NoMatchingRule)),
            case("negative", owner(json!(-3)), Publish, Some("/users/-3/y"), Expect::Allowed),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn a_requested_wildcard_needs_one_rule_covering_all_it_could_name() {
    let rules = channel_rules(json!([
        {"channel": "/users/{sub}/inbox", "operations": ["subscribe"]},
        {"channel": "/teams/*", "operations": ["subscribe"]},
        {"channel": "/rooms/{room}/*", "operations": ["subscribe"]},
        {"channel": "/rooms/{room}", "operations": ["subscribe"]}
    ]));
    let c = || json!({"sub": "u1", "room": "r1"});
    run(
        &rules,
        vec![
            case("fixed vs star", c(), Subscribe, Some("/users/u1/*"), Expect::Denied(WildcardTooBroad)),
            case("fixed exact", c(), Subscribe, Some("/users/u1/inbox"), Expect::Allowed),
            case("star above", c(), Subscribe, Some("/users/*"), Expect::Denied(WildcardTooBroad)),
            case("earlier star", c(), Subscribe, Some("/teams/a/b/*"), Expect::Allowed),
            case("same star", c(), Subscribe, Some("/teams/*"), Expect::Allowed),
            // `/rooms/*` names /rooms/r1 (second rule) and /rooms/r1/x (third) but also
            // /rooms/r2: rules are not combined.
            case("union not enough", c(), Subscribe, Some("/rooms/*"), Expect::Denied(WildcardTooBroad)),
            case("room star", c(), Subscribe, Some("/rooms/r1/*"), Expect::Allowed),
            case("room itself", c(), Subscribe, Some("/rooms/r1"), Expect::Allowed),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn connect_is_governed_only_by_rules_that_list_it() {
    let rules = channel_rules(json!([
        {"channel": "/public/*", "operations": ["connect", "subscribe"],
         "when": [{"claim": "is_anonymous", "equals": false}]},
        {"channel": "/staff/*", "operations": ["connect"],
         "when": [{"claim": "app_metadata.staff", "exists": true}]}
    ]));
    assert!(rules.governs(Connect) && rules.governs(Subscribe) && !rules.governs(Publish));
    let anon = || json!({"is_anonymous": true});
    let staff = json!({"is_anonymous": true, "app_metadata": {"staff": "yes"}});
    run(
        &rules,
        vec![
            case("user", json!({"is_anonymous": false}), Connect, None, Expect::Allowed),
            case("second rule", staff, Connect, None, Expect::Allowed),
            case("anonymous", anon(), Connect, None, Expect::Denied(ConditionFailed)),
            case("no claims", json!({}), Connect, None, Expect::Denied(ConditionFailed)),
            // The pattern is ignored for connect, whatever channel is passed.
            case("channel ignored", json!({"is_anonymous": false}), Connect, Some("/other/x"), Expect::Allowed),
            case("publish unlisted", json!({"is_anonymous": false}), Publish, Some("/public/x"), Expect::Denied(NoRuleForOperation)),
            case("connect-only rule", json!({"app_metadata": {"staff": true}}), Subscribe, Some("/staff/x"), Expect::Denied(NoMatchingRule)),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn conditions_read_nested_claims_with_equals_one_of_and_exists() {
    let rules = channel_rules(json!([
        {"channel": "/eq/*", "operations": ["subscribe"],
         "when": [{"claim": "app_metadata.tier.level", "equals": 3}]},
        {"channel": "/one/*", "operations": ["subscribe"],
         "when": [{"claim": "app_metadata.role", "oneOf": ["admin", "editor"]}]},
        {"channel": "/has/*", "operations": ["subscribe"],
         "when": [{"claim": "app_metadata.team", "exists": true}]},
        {"channel": "/hasnt/*", "operations": ["subscribe"],
         "when": [{"claim": "app_metadata.banned", "exists": false}]},
        {"channel": "/all/*", "operations": ["subscribe"],
         "when": [{"claim": "aal", "equals": "aal2"}, {"claim": "is_anonymous", "equals": false}]}
    ]));
    let meta = |m: Value| json!({"app_metadata": m});
    run(
        &rules,
        vec![
            case("eq", meta(json!({"tier": {"level": 3}})), Subscribe, Some("/eq/x"), Expect::Allowed),
            case("eq float", meta(json!({"tier": {"level": 3.0}})), Subscribe, Some("/eq/x"), Expect::Denied(ConditionFailed)),
            case("eq string", meta(json!({"tier": {"level": "3"}})), Subscribe, Some("/eq/x"), Expect::Denied(ConditionFailed)),
            case("eq missing", meta(json!({"tier": 3})), Subscribe, Some("/eq/x"), Expect::Denied(ConditionFailed)),
            case("one of", meta(json!({"role": "editor"})), Subscribe, Some("/one/x"), Expect::Allowed),
            case("none of", meta(json!({"role": "viewer"})), Subscribe, Some("/one/x"), Expect::Denied(ConditionFailed)),
            case("one of missing", json!({}), Subscribe, Some("/one/x"), Expect::Denied(ConditionFailed)),
            case("exists", meta(json!({"team": "t"})), Subscribe, Some("/has/x"), Expect::Allowed),
            case("exists null", meta(json!({"team": null})), Subscribe, Some("/has/x"), Expect::Denied(ConditionFailed)),
            case("absent", json!({}), Subscribe, Some("/hasnt/x"), Expect::Allowed),
            case("absent null", meta(json!({"banned": null})), Subscribe, Some("/hasnt/x"), Expect::Allowed),
            case("present", meta(json!({"banned": false})), Subscribe, Some("/hasnt/x"), Expect::Denied(ConditionFailed)),
            case("all hold", json!({"aal": "aal2", "is_anonymous": false}), Subscribe, Some("/all/x"), Expect::Allowed),
            case("one fails", json!({"aal": "aal2", "is_anonymous": true}), Subscribe, Some("/all/x"), Expect::Denied(ConditionFailed)),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn any_one_matching_rule_grants_and_the_most_specific_denial_is_reported() {
    let rules = channel_rules(json!([
        {"channel": "/chat/{sub}", "operations": ["publish"]},
        {"channel": "/chat/*", "operations": ["publish"],
         "when": [{"claim": "app_metadata.role", "equals": "moderator"}]},
        {"channel": "/chat/*", "operations": ["subscribe"]}
    ]));
    let user = || json!({"sub": "u1"});
    let moderator = json!({"sub": "u1", "app_metadata": {"role": "moderator"}});
    run(
        &rules,
        vec![
            case("own", user(), Publish, Some("/chat/u1"), Expect::Allowed),
            case("moderator", moderator, Publish, Some("/chat/u2"), Expect::Allowed),
            // The first rule does not match u2; the second matches but its condition fails.
            case("condition beats no match", user(), Publish, Some("/chat/u2"), Expect::Denied(ConditionFailed)),
            case("elsewhere", user(), Publish, Some("/other/u1"), Expect::Denied(NoMatchingRule)),
            case("subscribe", user(), Subscribe, Some("/chat/*"), Expect::Allowed),
            case("connect", user(), Connect, None, Expect::Unrestricted),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn an_operation_no_rule_lists_is_denied_once_rules_exist() {
    let rules = channel_rules(json!([{"channel": "/public/*", "operations": ["subscribe"]}]));
    run(
        &rules,
        vec![
            case("publish", json!({}), Publish, Some("/public/x"), Expect::Denied(NoRuleForOperation)),
            case("subscribe", json!({}), Subscribe, Some("/public/x"), Expect::Allowed),
            case("missing channel first", json!({}), Publish, None, Expect::Denied(MissingChannel)),
        ],
    );
}

#[test]
fn denial_codes_are_stable_snake_case() {
    let codes = [
        (MissingChannel, "missing_channel"),
        (PublishToWildcard, "publish_to_wildcard"),
        (NoRuleForOperation, "no_rule_for_operation"),
        (NoMatchingRule, "no_matching_rule"),
        (WildcardTooBroad, "wildcard_too_broad"),
        (ConditionFailed, "condition_failed"),
    ];
    for (denial, code) in codes {
        assert_eq!(denial.code(), code);
        assert_eq!(denial.to_string(), code);
    }
}
