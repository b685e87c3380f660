//! [`GraphqlRules`]: fields put into a GraphQL authorizer's `deniedFields` by claim.

use serde_json::{Map, Value};

use super::condition::{self, Condition};
use super::config::GraphqlRuleConfig;
use super::error::{RuleError, RuleLocation, RuleProblem};
use super::warn_if_user_editable;

#[derive(Debug, Clone, PartialEq)]
struct GraphqlRule {
    /// Deduplicated, in configuration order.
    fields: Box<[String]>,
    unless: Box<[Condition]>,
}

impl GraphqlRule {
    fn denies(&self, claims: &Map<String, Value>) -> bool {
        // A rule without `unless` denies its fields to everyone; with conditions, only when
        // some condition fails.
        self.unless.is_empty() || !condition::all_hold(&self.unless, claims)
    }
}

/// Compiled GraphQL field rules. The default value has no rules and denies nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphqlRules {
    rules: Box<[GraphqlRule]>,
}

impl GraphqlRules {
    /// Compiles rules from configuration. The error names the first bad rule and part,
    /// e.g. `graphqlRules[0] deniedFields[1]: field "Mutation" is neither …`.
    pub fn compile(configs: &[GraphqlRuleConfig]) -> Result<Self, RuleError> {
        let rules = configs
            .iter()
            .enumerate()
            .map(|(index, config)| compile_rule(index, config))
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// Whether no rules are configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The fields to deny for a token with `claims`: the union of `deniedFields` of every
    /// rule whose `unless` conditions do not all hold (a rule without `unless` always
    /// applies), deduplicated, in configuration order.
    pub fn denied_fields(&self, claims: &Map<String, Value>) -> Vec<String> {
        let mut denied: Vec<String> = Vec::new();
        for rule in self.rules.iter().filter(|rule| rule.denies(claims)) {
            for field in &rule.fields {
                if !denied.contains(field) {
                    denied.push(field.clone());
                }
            }
        }
        denied
    }
}

fn compile_rule(index: usize, config: &GraphqlRuleConfig) -> Result<GraphqlRule, RuleError> {
    let location = RuleLocation::graphql_rule(index);
    if config.denied_fields.is_empty() {
        return Err(RuleError::new(location, RuleProblem::NoDeniedFields));
    }
    let mut fields: Vec<String> = Vec::with_capacity(config.denied_fields.len());
    for (at, field) in config.denied_fields.iter().enumerate() {
        if !is_valid_field(field) {
            return Err(RuleError::new(
                location.part("deniedFields", at),
                RuleProblem::InvalidField(field.clone()),
            ));
        }
        if !fields.contains(field) {
            fields.push(field.clone());
        }
    }
    let unless = condition::compile_all(&config.unless)
        .map_err(|(at, problem)| RuleError::new(location.part("unless", at), problem))?;
    for condition in &unless {
        warn_if_user_editable(&location, condition.path());
    }
    Ok(GraphqlRule {
        fields: fields.into(),
        unless,
    })
}

/// `Type.field`, or `arn:<partition>:appsync:<region>:<account>:apis/<apiId>/types/<Type>/fields/<field>`,
/// the two forms AppSync accepts in `deniedFields`.
fn is_valid_field(field: &str) -> bool {
    if field.starts_with("arn:") {
        return is_valid_field_arn(field);
    }
    field
        .split_once('.')
        .is_some_and(|(type_name, name)| is_graphql_name(type_name) && is_graphql_name(name))
}

fn is_valid_field_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let ["arn", partition, "appsync", region, account, resource] = parts.as_slice() else {
        return false;
    };
    let resource: Vec<&str> = resource.split('/').collect();
    let ["apis", api_id, "types", type_name, "fields", name] = resource.as_slice() else {
        return false;
    };
    matches!(*partition, "aws" | "aws-cn" | "aws-us-gov")
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !api_id.is_empty()
        && api_id.bytes().all(|b| b.is_ascii_alphanumeric())
        && is_graphql_name(type_name)
        && is_graphql_name(name)
}

/// A GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`.
fn is_graphql_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_field_forms_appsync_accepts_are_valid() {
        for good in [
            "Mutation.deleteItem",
            "Query._private2",
            "arn:aws:appsync:us-east-1:111122223333:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/deleteItem",
            "arn:aws-cn:appsync:cn-north-1:111122223333:apis/abc123/types/Query/fields/x",
        ] {
            assert!(is_valid_field(good), "{good} was refused");
        }
    }

    #[test]
    fn malformed_fields_are_refused() {
        for bad in [
            "",
            "Mutation",
            "Mutation.",
            ".deleteItem",
            "Mutation.delete.Item",
            "Mutation.delete-item",
            "1Mutation.x",
            "Mutation.deleteItem ",
            "arn:aws:appsync:us-east-1:111122223333:apis/abc/types/Mutation",
            "arn:aws:appsync:us-east-1:1111:apis/abc/types/Mutation/fields/x",
            "arn:aws:lambda:us-east-1:111122223333:apis/abc/types/Mutation/fields/x",
            "arn:other:appsync:us-east-1:111122223333:apis/abc/types/Mutation/fields/x",
            "arn:aws:appsync:US-EAST-1:111122223333:apis/abc/types/Mutation/fields/x",
            "arn:aws:appsync:us-east-1:111122223333:apis/a-b/types/Mutation/fields/x",
            "arn:aws:appsync:us-east-1:111122223333:apis/abc/types/Mutation/fields/x/y",
        ] {
            assert!(!is_valid_field(bad), "{bad:?} was accepted");
        }
    }
}
