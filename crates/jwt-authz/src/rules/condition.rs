//! Conditions on claims: `equals`, `oneOf`, `exists`.

use serde_json::{Map, Value};

use super::claims::ClaimPath;
use super::config::ConditionConfig;
use super::error::RuleProblem;

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Equals(Value),
    OneOf(Box<[Value]>),
    Exists(bool),
}

/// A compiled condition on one claim.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    path: ClaimPath,
    test: Test,
}

impl Condition {
    /// Validates a condition: a valid claim path and exactly one usable test.
    pub(crate) fn compile(config: &ConditionConfig) -> Result<Self, RuleProblem> {
        let path = ClaimPath::parse(&config.claim)
            .ok_or_else(|| RuleProblem::InvalidClaimPath(config.claim.clone()))?;
        let given = usize::from(config.equals.is_some())
            + usize::from(config.one_of.is_some())
            + usize::from(config.exists.is_some());
        if given != 1 {
            return Err(RuleProblem::ConditionTestCount(given));
        }
        let test = if let Some(value) = &config.equals {
            // `null` would be ambiguous between "absent" and "present as null"; `exists`
            // already says either precisely.
            if value.is_null() {
                return Err(RuleProblem::NullValue);
            }
            Test::Equals(value.clone())
        } else if let Some(values) = &config.one_of {
            if values.is_empty() {
                return Err(RuleProblem::EmptyOneOf);
            }
            if values.iter().any(Value::is_null) {
                return Err(RuleProblem::NullValue);
            }
            Test::OneOf(values.clone().into())
        } else {
            Test::Exists(config.exists == Some(true))
        };
        Ok(Self { path, test })
    }

    /// The claim this condition reads.
    pub(crate) fn path(&self) -> &ClaimPath {
        &self.path
    }

    /// Evaluates the condition. JSON equality is exact: `1` and `1.0` differ, `"true"` and
    /// `true` differ. A missing claim fails `equals` and `oneOf`.
    pub(crate) fn holds(&self, claims: &Map<String, Value>) -> bool {
        let value = self.path.lookup(claims);
        match &self.test {
            Test::Equals(expected) => value == Some(expected),
            Test::OneOf(expected) => value.is_some_and(|v| expected.contains(v)),
            Test::Exists(wanted) => value.is_some_and(|v| !v.is_null()) == *wanted,
        }
    }
}

/// Compiles a list of conditions, reporting the index of the first bad one.
pub(crate) fn compile_all(
    configs: &[ConditionConfig],
) -> Result<Box<[Condition]>, (usize, RuleProblem)> {
    configs
        .iter()
        .enumerate()
        .map(|(index, config)| Condition::compile(config).map_err(|problem| (index, problem)))
        .collect()
}

/// Whether all conditions hold (true for none).
pub(crate) fn all_hold(conditions: &[Condition], claims: &Map<String, Value>) -> bool {
    conditions.iter().all(|condition| condition.holds(claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(config: ConditionConfig, claims: Value) -> bool {
        Condition::compile(&config)
            .expect("valid test condition")
            .holds(claims.as_object().expect("object"))
    }

    #[test]
    fn equals_compares_json_values_exactly() {
        let admin = || ConditionConfig::equals("app_metadata.role", "admin");
        assert!(holds(admin(), json!({"app_metadata": {"role": "admin"}})));
        assert!(!holds(admin(), json!({"app_metadata": {"role": "Admin"}})));
        assert!(!holds(admin(), json!({"app_metadata": {}})));
        assert!(!holds(admin(), json!({})));
        let not_anonymous = || ConditionConfig::equals("is_anonymous", false);
        assert!(holds(not_anonymous(), json!({"is_anonymous": false})));
        assert!(!holds(not_anonymous(), json!({"is_anonymous": "false"})));
        assert!(!holds(not_anonymous(), json!({})));
        assert!(!holds(ConditionConfig::equals("n", 1), json!({"n": 1.0})));
    }

    #[test]
    fn one_of_holds_when_any_value_is_equal() {
        let aal = || ConditionConfig::one_of("aal", [json!("aal2"), json!("aal3")]);
        assert!(holds(aal(), json!({"aal": "aal2"})));
        assert!(holds(aal(), json!({"aal": "aal3"})));
        assert!(!holds(aal(), json!({"aal": "aal1"})));
        assert!(!holds(aal(), json!({})));
    }

    #[test]
    fn exists_treats_null_as_absent() {
        let present = || ConditionConfig::exists("email", true);
        let absent = || ConditionConfig::exists("email", false);
        assert!(holds(present(), json!({"email": "a@b.c"})));
        assert!(holds(present(), json!({"email": false})));
        assert!(!holds(present(), json!({"email": null})));
        assert!(!holds(present(), json!({})));
        assert!(holds(absent(), json!({"email": null})));
        assert!(holds(absent(), json!({})));
        assert!(!holds(absent(), json!({"email": ""})));
    }

    #[test]
    fn conditions_without_exactly_one_usable_test_are_refused() {
        let mut two = ConditionConfig::equals("a", 1);
        two.exists = Some(true);
        let cases = [
            (two, RuleProblem::ConditionTestCount(2)),
            (
                ConditionConfig {
                    exists: None,
                    ..ConditionConfig::exists("a", true)
                },
                RuleProblem::ConditionTestCount(0),
            ),
            (
                ConditionConfig::equals("a", Value::Null),
                RuleProblem::NullValue,
            ),
            (
                ConditionConfig::one_of("a", [json!(1), Value::Null]),
                RuleProblem::NullValue,
            ),
            (ConditionConfig::one_of("a", []), RuleProblem::EmptyOneOf),
            (
                ConditionConfig::equals("a..b", 1),
                RuleProblem::InvalidClaimPath("a..b".into()),
            ),
        ];
        for (config, problem) in cases {
            assert_eq!(Condition::compile(&config), Err(problem), "{config:?}");
        }
    }
}
