//! Behaviour tests of the rules engine as a whole: the decision table, every compile error,
//! GraphQL field rules, and property tests against claim injection.

mod compile_errors;
mod decision_table;
mod docs_examples;
mod graphql_rules;
mod injection;

use appsync_types::ChannelPath;
use serde_json::{Map, Value};

use super::{ChannelRuleConfig, ChannelRules};

/// Compiles channel rules written as they appear in `AUTHORIZER_CONFIG`.
fn channel_rules(rules: Value) -> ChannelRules {
    let configs: Vec<ChannelRuleConfig> =
        serde_json::from_value(rules).expect("test rules have the config shape");
    ChannelRules::compile(&configs).expect("test rules compile")
}

fn claims(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("test claims must be an object, got {other}"),
    }
}

/// Parses a requested channel the way the authorizer does (leniently).
fn channel(path: &str) -> ChannelPath {
    ChannelPath::parse_lenient(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
