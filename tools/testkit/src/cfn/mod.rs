//! The one reader of CloudFormation templates: local-events reads its auth modes with it,
//! `cargo xtask doctor` the authorizer's variables, and the end-to-end tests the exact
//! environment a parameter set gives a function — without an AWS account.
//!
//! [`to_json_document`] turns the YAML into JSON (short-form tags kept as one-key objects);
//! a [`Template`] bound to parameter values is a [`Stack`], which evaluates `Rules`,
//! `Conditions` and intrinsics. Supported, because templates here use them: `Ref`
//! (parameters, pseudo parameters, `AWS::NoValue`), `Fn::Sub` (string and `[string,
//! variables]`), `Fn::If`, the condition functions `Fn::Equals` / `Fn::Not` / `Fn::And` /
//! `Fn::Or` / `Condition`, and parameter `Type` (String, Number), `AllowedValues`,
//! `AllowedPattern`, `MinValue`, `MaxValue`. Anything else is an error, never a guess.
//!
//! Two bindings, for two questions:
//! - [`Template::stack`] — "what would CloudFormation deploy?": every parameter needs a
//!   value, pseudo parameters are those of a paper deployment ([`REGION`], [`ACCOUNT`],
//!   [`STACK_NAME`]), and resource attributes render as `<Resource.Attribute>` placeholders.
//! - [`Template::local`] — "what does this value resolve to, here?": a parameter without a
//!   value is an error only where it is used, pseudo parameters are only those given, and
//!   anything that exists only after a deployment (`Fn::GetAtt`, `Ref` to a resource) is
//!   an error naming it.
//!
//! # Layout
//! `mod.rs`: templates and parameter binding; `stack.rs`: evaluation; `yaml.rs`: YAML to JSON.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

mod stack;
mod yaml;

pub use stack::Stack;
pub use yaml::to_json_document;

/// The region of the paper deployment.
pub const REGION: &str = "eu-west-1";
/// The account of the paper deployment.
pub const ACCOUNT: &str = "111122223333";
/// The stack name of the paper deployment.
pub const STACK_NAME: &str = "appsync-events-auth";

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
}

/// A rule assertion that does not hold: the rule's name and its `AssertDescription`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule's logical name.
    pub rule: String,
    /// What CloudFormation shows the user.
    pub description: String,
}

impl Template {
    /// Reads `path` (YAML with short-form tags, as SAM templates are written); panics with
    /// the reason (tests).
    pub fn load(path: &Path) -> Self {
        Self::read(path).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads `path`; the error names the file.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    /// Parses template text.
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(Self {
            root: to_json_document(text)?,
        })
    }

    /// The whole template as JSON.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// A resource's definition, unevaluated.
    pub fn resource(&self, name: &str) -> Option<&Value> {
        self.root.get("Resources")?.get(name)
    }

    /// Binds `overrides` (`--parameter-overrides Key=Value …`) to the parameters as
    /// CloudFormation does at deploy time: each value checked, every parameter bound.
    pub fn stack(&self, overrides: &[(String, String)]) -> Result<Stack<'_>, String> {
        let parameters = self.bind(overrides, true, true)?;
        let pseudo = [
            ("AWS::Region", REGION),
            ("AWS::AccountId", ACCOUNT),
            ("AWS::Partition", "aws"),
            ("AWS::StackName", STACK_NAME),
            ("AWS::URLSuffix", "amazonaws.com"),
        ];
        Ok(self.with(parameters, &pseudo, true))
    }

    /// Binds `overrides` for resolving values outside a deployment: each value checked as
    /// CloudFormation does, a parameter without a value left unbound (an error only where
    /// it is used), `pseudo` the only pseudo parameters known (`("AWS::Region", "…")`), and
    /// no placeholders for what exists only after a deployment.
    pub fn local(
        &self,
        overrides: &[(String, String)],
        pseudo: &[(&str, &str)],
    ) -> Result<Stack<'_>, String> {
        let parameters = self.bind(overrides, false, true)?;
        Ok(self.with(parameters, pseudo, false))
    }

    /// [`local`](Self::local) with the values taken as given, unchecked: for a
    /// development value (a loopback issuer, say) that the deployed template would refuse.
    pub fn local_unchecked(
        &self,
        overrides: &[(String, String)],
        pseudo: &[(&str, &str)],
    ) -> Result<Stack<'_>, String> {
        let parameters = self.bind(overrides, false, false)?;
        Ok(self.with(parameters, pseudo, false))
    }

    fn with(
        &self,
        parameters: BTreeMap<String, String>,
        pseudo: &[(&str, &str)],
        placeholders: bool,
    ) -> Stack<'_> {
        Stack {
            root: &self.root,
            parameters,
            pseudo: pseudo
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            placeholders,
            conditions: RefCell::new(BTreeMap::new()),
            depth: Cell::new(0),
        }
    }

    /// Every parameter's value (the last override, else its `Default`), checked unless not
    /// `checked`; every parameter must have one when `every`.
    fn bind(
        &self,
        overrides: &[(String, String)],
        every: bool,
        checked: bool,
    ) -> Result<BTreeMap<String, String>, String> {
        let declared = self
            .root
            .get("Parameters")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (key, _) in overrides {
            if !declared.contains_key(key) {
                return Err(format!("{key}: the template has no parameter {key}"));
            }
        }
        let mut parameters = BTreeMap::new();
        for (name, spec) in &declared {
            let value = match overrides.iter().rev().find(|(k, _)| k == name) {
                Some((_, v)) => v.clone(),
                None => match spec.get("Default") {
                    Some(default) => scalar(default)?,
                    None if every => return Err(format!("{name}: has no default and no value")),
                    None => continue,
                },
            };
            if checked {
                check_parameter(name, spec, &value)?;
            }
            parameters.insert(name.clone(), value);
        }
        Ok(parameters)
    }
}

/// CloudFormation's parameter constraints.
fn check_parameter(name: &str, spec: &Value, value: &str) -> Result<(), String> {
    if let Some(allowed) = spec.get("AllowedValues").and_then(Value::as_array) {
        let allowed: Vec<String> = allowed.iter().map(scalar).collect::<Result<_, _>>()?;
        if !allowed.iter().any(|a| a == value) {
            return Err(format!("{name}: {value:?} is not one of {allowed:?}"));
        }
    }
    if let Some(pattern) = spec.get("AllowedPattern").and_then(Value::as_str) {
        let re = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("{name}: its AllowedPattern does not compile: {e}"))?;
        if !re.is_match(value) {
            return Err(format!(
                "{name}: {value:?} does not match its AllowedPattern {pattern:?}"
            ));
        }
    }
    if spec.get("Type").and_then(Value::as_str) == Some("Number") {
        let number: f64 = value
            .parse()
            .map_err(|_| format!("{name}: {value:?} is not a number"))?;
        let bound = |key: &str| spec.get(key).and_then(Value::as_f64);
        if bound("MinValue").is_some_and(|min| number < min)
            || bound("MaxValue").is_some_and(|max| number > max)
        {
            return Err(format!("{name}: {value} is out of range"));
        }
    }
    Ok(())
}

/// A literal scalar as CloudFormation passes it around: a string.
fn scalar(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("{other} is not a scalar")),
    }
}

#[cfg(test)]
mod tests;
