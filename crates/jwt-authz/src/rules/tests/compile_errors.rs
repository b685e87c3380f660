//! Every compile error: the rule is named by index (and pattern), the problem is precise.

use serde_json::{Value, json};

use crate::rules::{
    ChannelRuleConfig, ChannelRules, GraphqlRuleConfig, GraphqlRules, RuleError, RuleProblem,
};

use RuleProblem::*;

fn channel_error(rules: Value) -> RuleError {
    let configs: Vec<ChannelRuleConfig> =
        serde_json::from_value(rules).expect("test rules have the config shape");
    ChannelRules::compile(&configs).expect_err("rules should be refused")
}

fn graphql_error(rules: Value) -> RuleError {
    let configs: Vec<GraphqlRuleConfig> =
        serde_json::from_value(rules).expect("test rules have the config shape");
    GraphqlRules::compile(&configs).expect_err("rules should be refused")
}

/// Puts `pattern` as the third rule, after two valid ones, so the index is checked too.
fn third(pattern: &str) -> Value {
    json!([
        {"channel": "/public/*", "operations": ["subscribe"]},
        {"channel": "/users/{sub}/*", "operations": ["subscribe"]},
        {"channel": pattern, "operations": ["subscribe"]}
    ])
}

#[test]
#[rustfmt::skip]
fn every_bad_pattern_is_refused_naming_the_rule_and_its_pattern() {
    let cases: Vec<(&str, RuleProblem)> = vec![
        ("users/{sub}", MissingLeadingSlash),
        ("", MissingLeadingSlash),
        ("/", EmptySegment),
        ("/users//x", EmptySegment),
        ("/users/x/", EmptySegment),
        ("/a/b/c/d/e/f", TooManySegments),
        ("/a/b/c/d/e/*", TooManySegments),
        ("/{sub}/x", NamespaceNotLiteral),
        ("/*", NamespaceNotLiteral),
        ("/-users/x", InvalidNamespace("-users".into())),
        ("/us_ers/x", InvalidNamespace("us_ers".into())),
        ("/users/a.b", InvalidSegment("a.b".into())),
        ("/users/ä", InvalidSegment("ä".into())),
        ("/users/a b", InvalidSegment("a b".into())),
        ("/users/{sub/*", UnclosedPlaceholder),
        ("/users/{app_metadata.org_id", UnclosedPlaceholder),
        ("/users/{}", EmptyPlaceholder),
        ("/users/org-{id}", PartialPlaceholder("org-{id}".into())),
        ("/users/{id}-x", PartialPlaceholder("{id}-x".into())),
        ("/users/id}", PartialPlaceholder("id}".into())),
        ("/users/{a..b}", InvalidClaimPath("a..b".into())),
        ("/users/{.sub}", InvalidClaimPath(".sub".into())),
        ("/users/{a b}", InvalidClaimPath("a b".into())),
        ("/users/{{sub}}", InvalidClaimPath("{sub}".into())),
        ("/users/*/x", MisplacedWildcard),
        ("/users/a*", MisplacedWildcard),
        ("/users/*/*", MisplacedWildcard),
    ];
    for (pattern, problem) in cases {
        let err = channel_error(third(pattern));
        assert_eq!(err.problem(), &problem, "{pattern:?}");
        assert_eq!(err.rule_index(), 2, "{pattern:?}");
        let prefix = format!("channelRules[2] ({pattern:?}): ");
        assert!(err.to_string().starts_with(&prefix), "{err} should start with {prefix}");
    }
}

#[test]
fn the_documented_example_reads_as_documented() {
    let err = channel_error(third("/users/{sub/*"));
    assert!(
        err.to_string()
            .starts_with(r#"channelRules[2] ("/users/{sub/*"): placeholder not closed"#),
        "{err}"
    );
}

#[test]
fn the_largest_valid_patterns_compile() {
    for pattern in ["/a/b/c/d/e", "/a/b/c/d/*", "/a", "/a/*", "/a/{x:y-z_1.w}/*"] {
        let configs: Vec<ChannelRuleConfig> =
            serde_json::from_value(third(pattern)).expect("shape");
        assert!(ChannelRules::compile(&configs).is_ok(), "{pattern}");
    }
}

#[test]
fn unknown_or_missing_operations_are_refused() {
    let rule = |ops: Value| json!([{"channel": "/a/*", "operations": ops}]);
    let cases = [
        (json!([]), NoOperations),
        (json!(["Subscribe"]), UnknownOperation("Subscribe".into())),
        (
            json!(["subscribe", "read"]),
            UnknownOperation("read".into()),
        ),
        (
            json!(["EVENT_PUBLISH"]),
            UnknownOperation("EVENT_PUBLISH".into()),
        ),
    ];
    for (ops, problem) in cases {
        let err = channel_error(rule(ops.clone()));
        assert_eq!(err.problem(), &problem, "{ops}");
        assert!(err.to_string().starts_with(r#"channelRules[0] ("/a/*"): "#));
    }
}

#[test]
fn bad_conditions_are_refused_naming_the_condition() {
    let rule = |when: Value| {
        json!([{"channel": "/a/*", "operations": ["subscribe"],
                "when": [{"claim": "sub", "exists": true}, when]}])
    };
    let cases = [
        (json!({"claim": "role"}), ConditionTestCount(0)),
        (
            json!({"claim": "role", "equals": "a", "oneOf": ["a"]}),
            ConditionTestCount(2),
        ),
        (json!({"claim": "role", "equals": null}), NullValue),
        (json!({"claim": "role", "oneOf": ["a", null]}), NullValue),
        (json!({"claim": "role", "oneOf": []}), EmptyOneOf),
        (
            json!({"claim": "", "exists": true}),
            InvalidClaimPath(String::new()),
        ),
        (
            json!({"claim": "app_metadata..role", "equals": "a"}),
            InvalidClaimPath("app_metadata..role".into()),
        ),
    ];
    for (when, problem) in cases {
        let err = channel_error(rule(when.clone()));
        assert_eq!(err.problem(), &problem, "{when}");
        assert!(
            err.to_string()
                .starts_with(r#"channelRules[0] ("/a/*") when[1]: "#),
            "{err}"
        );
    }
}

#[test]
fn bad_graphql_rules_are_refused_naming_the_rule_and_part() {
    let ok = json!({"deniedFields": ["Query.a"]});
    let cases = [
        (
            json!({"deniedFields": []}),
            NoDeniedFields,
            "graphqlRules[1]: ",
        ),
        (
            json!({"deniedFields": ["Query.a", "Mutation"]}),
            InvalidField("Mutation".into()),
            "graphqlRules[1] deniedFields[1]: ",
        ),
        (
            json!({"deniedFields": ["Query.a"], "unless": [{"claim": "role", "oneOf": []}]}),
            EmptyOneOf,
            "graphqlRules[1] unless[0]: ",
        ),
    ];
    for (rule, problem, prefix) in cases {
        let err = graphql_error(json!([ok, rule]));
        assert_eq!(err.problem(), &problem, "{rule}");
        assert!(err.to_string().starts_with(prefix), "{err}");
    }
}
