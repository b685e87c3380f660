//! The JSON shapes of rules, as they appear under `"channelRules"` and `"graphqlRules"` in
//! the authorizer configuration.
//!
//! These are plain data: nothing is checked while deserializing except the shape (unknown
//! keys are refused so a typo such as `"oprations"` cannot silently drop a restriction).
//! [`ChannelRules::compile`](super::ChannelRules::compile) and
//! [`GraphqlRules::compile`](super::GraphqlRules::compile) validate the content and name the
//! offending rule.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One channel rule: who may do what on which channels.
///
/// ```json
/// { "channel": "/users/{sub}/*", "operations": ["subscribe", "publish"],
///   "when": [{ "claim": "is_anonymous", "equals": false }] }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelRuleConfig {
    /// The channel pattern, e.g. `/users/{sub}/*`.
    pub channel: String,
    /// Operations granted: `"connect"`, `"subscribe"`, `"publish"` (lower-case, at least one).
    pub operations: Vec<String>,
    /// Conditions that must all hold. Default: none (the rule applies to every valid token).
    #[serde(default)]
    pub when: Vec<ConditionConfig>,
}

/// One GraphQL field rule: fields put into `deniedFields` unless all conditions hold.
///
/// ```json
/// { "deniedFields": ["Mutation.deleteItem"],
///   "unless": [{ "claim": "app_metadata.role", "equals": "admin" }] }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphqlRuleConfig {
    /// `Type.field` names or field ARNs (at least one).
    pub denied_fields: Vec<String>,
    /// Conditions under which the fields are *not* denied; all must hold. Default: none,
    /// which means the fields are denied to everyone.
    #[serde(default)]
    pub unless: Vec<ConditionConfig>,
}

/// A test on one claim. Exactly one of `equals`, `oneOf`, `exists` must be given:
///
/// ```json
/// { "claim": "app_metadata.role", "equals": "admin" }
/// { "claim": "aal", "oneOf": ["aal2"] }
/// { "claim": "email", "exists": true }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionConfig {
    /// Dotted path into the verified claims, e.g. `sub` or `app_metadata.role`.
    pub claim: String,
    /// Holds when the claim is present and JSON-equal to this value.
    #[serde(default, deserialize_with = "present")]
    pub equals: Option<Value>,
    /// Holds when the claim is present and JSON-equal to any of these values.
    #[serde(default)]
    pub one_of: Option<Vec<Value>>,
    /// `true`: holds when the claim is present and not `null`; `false`: when it is absent
    /// or `null`.
    #[serde(default)]
    pub exists: Option<bool>,
}

impl ConditionConfig {
    /// `{"claim": claim, "equals": value}`.
    pub fn equals(claim: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            equals: Some(value.into()),
            ..Self::bare(claim)
        }
    }

    /// `{"claim": claim, "oneOf": values}`.
    pub fn one_of(claim: impl Into<String>, values: impl IntoIterator<Item = Value>) -> Self {
        Self {
            one_of: Some(values.into_iter().collect()),
            ..Self::bare(claim)
        }
    }

    /// `{"claim": claim, "exists": exists}`.
    pub fn exists(claim: impl Into<String>, exists: bool) -> Self {
        Self {
            exists: Some(exists),
            ..Self::bare(claim)
        }
    }

    fn bare(claim: impl Into<String>) -> Self {
        Self {
            claim: claim.into(),
            equals: None,
            one_of: None,
            exists: None,
        }
    }
}

/// Keeps an explicit `"equals": null` as `Some(Null)` (plain `Option<Value>` would turn it
/// into `None`, i.e. "no test given"), so compiling can refuse it with a clear message.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_channel_rule_reads_from_camel_case_json() {
        let rule: ChannelRuleConfig = serde_json::from_value(json!({
            "channel": "/users/{sub}/*",
            "operations": ["subscribe"],
            "when": [{"claim": "aal", "oneOf": ["aal2"]}]
        }))
        .expect("valid rule");
        assert_eq!(rule.channel, "/users/{sub}/*");
        assert_eq!(rule.when, [ConditionConfig::one_of("aal", [json!("aal2")])]);
    }

    #[test]
    fn when_defaults_to_no_conditions() {
        let rule: ChannelRuleConfig =
            serde_json::from_value(json!({"channel": "/a", "operations": ["publish"]}))
                .expect("valid rule");
        assert!(rule.when.is_empty());
    }

    #[test]
    fn unknown_keys_are_refused_so_typos_cannot_drop_a_restriction() {
        for value in [
            json!({"channel": "/a", "operations": ["publish"], "wehn": []}),
            json!({"channel": "/a", "operations": ["publish"], "when": [{"claim": "a", "equal": 1}]}),
            json!({"deniedFields": ["Query.a"], "unles": []}),
        ] {
            let channel = serde_json::from_value::<ChannelRuleConfig>(value.clone());
            let graphql = serde_json::from_value::<GraphqlRuleConfig>(value.clone());
            assert!(channel.is_err() && graphql.is_err(), "{value} was accepted");
        }
    }

    #[test]
    fn an_explicit_null_in_equals_is_kept_for_the_compiler_to_refuse() {
        let condition: ConditionConfig =
            serde_json::from_value(json!({"claim": "a", "equals": null})).expect("shape is fine");
        assert_eq!(condition.equals, Some(Value::Null));
        let absent: ConditionConfig =
            serde_json::from_value(json!({"claim": "a", "exists": true})).expect("shape is fine");
        assert_eq!(absent.equals, None);
    }

    #[test]
    fn a_graphql_rule_reads_denied_fields_and_unless() {
        let rule: GraphqlRuleConfig = serde_json::from_value(json!({
            "deniedFields": ["Mutation.deleteItem"],
            "unless": [{"claim": "app_metadata.role", "equals": "admin"}]
        }))
        .expect("valid rule");
        assert_eq!(rule.denied_fields, ["Mutation.deleteItem"]);
        assert_eq!(
            rule.unless,
            [ConditionConfig::equals("app_metadata.role", "admin")]
        );
    }
}
