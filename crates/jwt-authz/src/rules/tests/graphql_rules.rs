//! GraphQL field rules: `deniedFields` by claim.

use serde_json::{Value, json};

use super::claims;
use crate::rules::{GraphqlRuleConfig, GraphqlRules};

fn graphql_rules(rules: Value) -> GraphqlRules {
    let configs: Vec<GraphqlRuleConfig> =
        serde_json::from_value(rules).expect("test rules have the config shape");
    GraphqlRules::compile(&configs).expect("test rules compile")
}

const ITEM_ARN: &str =
    "arn:aws:appsync:eu-west-1:111122223333:apis/abcdef123/types/Mutation/fields/purge";

fn rules() -> GraphqlRules {
    graphql_rules(json!([
        {"deniedFields": ["Mutation.deleteItem", ITEM_ARN],
         "unless": [{"claim": "app_metadata.role", "equals": "admin"}]},
        {"deniedFields": ["Query.auditLog", "Mutation.deleteItem"],
         "unless": [{"claim": "app_metadata.role", "oneOf": ["admin", "auditor"]},
                    {"claim": "aal", "equals": "aal2"}]},
        {"deniedFields": ["Query.internal", "Query.internal"]}
    ]))
}

#[test]
fn no_graphql_rules_deny_nothing() {
    let rules = graphql_rules(json!([]));
    assert!(rules.is_empty());
    assert!(rules.denied_fields(&claims(json!({}))).is_empty());
    assert!(GraphqlRules::default().is_empty());
}

#[test]
fn fields_are_denied_unless_all_conditions_hold_deduplicated_in_order() {
    let rules = rules();
    assert!(!rules.is_empty());
    let member = claims(json!({"app_metadata": {"role": "member"}, "aal": "aal2"}));
    assert_eq!(
        rules.denied_fields(&member),
        [
            "Mutation.deleteItem",
            ITEM_ARN,
            "Query.auditLog",
            "Query.internal"
        ]
    );
    let admin_aal1 = claims(json!({"app_metadata": {"role": "admin"}, "aal": "aal1"}));
    assert_eq!(
        rules.denied_fields(&admin_aal1),
        ["Query.auditLog", "Mutation.deleteItem", "Query.internal"]
    );
    let admin_aal2 = claims(json!({"app_metadata": {"role": "admin"}, "aal": "aal2"}));
    assert_eq!(rules.denied_fields(&admin_aal2), ["Query.internal"]);
    let auditor = claims(json!({"app_metadata": {"role": "auditor"}, "aal": "aal2"}));
    assert_eq!(
        rules.denied_fields(&auditor),
        ["Mutation.deleteItem", ITEM_ARN, "Query.internal"]
    );
}

#[test]
fn missing_claims_deny_the_fields() {
    assert_eq!(
        rules().denied_fields(&claims(json!({}))),
        [
            "Mutation.deleteItem",
            ITEM_ARN,
            "Query.auditLog",
            "Query.internal"
        ]
    );
}

#[test]
fn a_rule_without_unless_denies_its_fields_to_everyone() {
    let rules = graphql_rules(json!([{"deniedFields": ["Mutation.dropAll"]}]));
    let admin = claims(json!({"app_metadata": {"role": "admin"}}));
    assert_eq!(rules.denied_fields(&admin), ["Mutation.dropAll"]);
}
