//! CloudFormation on paper: a template's parameters checked as CloudFormation checks them,
//! its `Rules` evaluated, and any node rendered with its intrinsics resolved, so a test can
//! see the exact environment a parameter set gives a function without an AWS account.
//!
//! Supported, because the template uses them: `Ref` (parameters, pseudo parameters,
//! `AWS::NoValue`), `Fn::Sub` (string and `[string, variables]`), `Fn::If`, the condition
//! functions `Fn::Equals` / `Fn::Not` / `Fn::And` / `Fn::Or` / `Condition`, and parameter
//! `Type` (String, Number), `AllowedValues`, `AllowedPattern`, `MinValue`, `MaxValue`.
//! Anything else is an error, never a guess, so a template change this module cannot
//! evaluate fails the test loudly. Resource attributes (`Fn::GetAtt`, `Ref` to a resource)
//! render as `<Resource.Attribute>` placeholders: they only exist after a deployment.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

mod yaml;

pub use yaml::to_json_document;

/// The pseudo parameters of the paper deployment.
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

/// A template with one parameter set, as CloudFormation would see it at deploy time.
#[derive(Debug)]
pub struct Stack<'a> {
    root: &'a Value,
    parameters: BTreeMap<String, String>,
    conditions: RefCell<BTreeMap<String, bool>>,
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
    /// Reads `path` (YAML with short-form tags, as SAM templates are written).
    pub fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).expect("template readable");
        Self::parse(&text).expect("template parses")
    }

    /// Parses template text.
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(Self {
            root: to_json_document(text)?,
        })
    }

    /// A resource's definition.
    pub fn resource(&self, name: &str) -> Option<&Value> {
        self.root.get("Resources")?.get(name)
    }

    /// Binds `overrides` (`--parameter-overrides Key=Value …`) to the parameters, checking
    /// each value as CloudFormation does before it evaluates anything.
    pub fn stack(&self, overrides: &[(String, String)]) -> Result<Stack<'_>, String> {
        let declared = self
            .root
            .get("Parameters")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (key, _) in overrides {
            if !declared.contains_key(key) {
                return Err(format!("{key}: not a parameter of this template"));
            }
        }
        let mut parameters = BTreeMap::new();
        for (name, spec) in &declared {
            let value = match overrides.iter().rev().find(|(k, _)| k == name) {
                Some((_, v)) => v.clone(),
                None => match spec.get("Default") {
                    Some(default) => scalar(default)?,
                    None => return Err(format!("{name}: has no default and no value")),
                },
            };
            check_parameter(name, spec, &value)?;
            parameters.insert(name.clone(), value);
        }
        Ok(Stack {
            root: &self.root,
            parameters,
            conditions: RefCell::new(BTreeMap::new()),
        })
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
            .map_err(|e| format!("{name}: AllowedPattern does not compile: {e}"))?;
        if !re.is_match(value) {
            return Err(format!("{name}: {value:?} does not match {pattern}"));
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

/// `{"!Ref": x}` / `{"Ref": x}` → `("Ref", x)`; `{"!Sub": x}` / `{"Fn::Sub": x}` →
/// `("Sub", x)`. Anything else is not an intrinsic.
fn intrinsic(node: &Value) -> Option<(&str, &Value)> {
    let map = node.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (key, arg) = map.iter().next()?;
    let name = key
        .strip_prefix("Fn::")
        .or_else(|| key.strip_prefix('!'))
        .unwrap_or(key);
    (key == "Ref" || key != name).then_some((name, arg))
}

fn args<'v>(arg: &'v Value, n: usize, what: &str) -> Result<&'v [Value], String> {
    match arg.as_array() {
        Some(items) if items.len() == n => Ok(items),
        _ => Err(format!("{what} takes a list of {n}: {arg}")),
    }
}

impl Stack<'_> {
    /// The value bound to a parameter.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }

    /// Every rule assertion that does not hold (empty: CloudFormation goes ahead).
    pub fn refusals(&self) -> Result<Vec<Refusal>, String> {
        let mut refusals = Vec::new();
        let rules = self.root.get("Rules").and_then(Value::as_object);
        for (rule, body) in rules.into_iter().flatten() {
            if let Some(condition) = body.get("RuleCondition")
                && !self.truth(condition)?
            {
                continue;
            }
            let assertions = body.get("Assertions").and_then(Value::as_array);
            for assertion in assertions.into_iter().flatten() {
                let assert = assertion
                    .get("Assert")
                    .ok_or_else(|| format!("{rule}: an assertion without Assert"))?;
                if !self.truth(assert)? {
                    refusals.push(Refusal {
                        rule: rule.clone(),
                        description: assertion
                            .get("AssertDescription")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    });
                }
            }
        }
        Ok(refusals)
    }

    /// A named condition.
    pub fn condition(&self, name: &str) -> Result<bool, String> {
        if let Some(known) = self.conditions.borrow().get(name) {
            return Ok(*known);
        }
        let node = self
            .root
            .pointer(&format!("/Conditions/{name}"))
            .ok_or_else(|| format!("no condition {name}"))?;
        let value = self.truth(node)?;
        self.conditions.borrow_mut().insert(name.to_owned(), value);
        Ok(value)
    }

    /// A condition function (in `Conditions`, `Rules` and `Fn::If`).
    fn truth(&self, node: &Value) -> Result<bool, String> {
        if let Value::Bool(b) = node {
            return Ok(*b);
        }
        let (name, arg) = intrinsic(node).ok_or_else(|| format!("not a condition: {node}"))?;
        match name {
            "Equals" => {
                let pair = args(arg, 2, "Fn::Equals")?;
                Ok(self.string(&pair[0])? == self.string(&pair[1])?)
            }
            "Not" => Ok(!self.truth(&args(arg, 1, "Fn::Not")?[0])?),
            "And" | "Or" => {
                let items = arg.as_array().ok_or("Fn::And/Or takes a list")?;
                let values: Vec<bool> = items
                    .iter()
                    .map(|i| self.truth(i))
                    .collect::<Result<_, _>>()?;
                Ok(if name == "And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            "Condition" => self.condition(arg.as_str().ok_or("Condition takes a name")?),
            other => Err(format!("condition function {other} is not supported")),
        }
    }

    /// A node that must render to a string.
    fn string(&self, node: &Value) -> Result<String, String> {
        match self.render(node)? {
            Some(value) => scalar(&value),
            None => Err(format!("{node} renders to AWS::NoValue")),
        }
    }

    /// Renders `node` with every intrinsic resolved; `None` is `AWS::NoValue` (the key or
    /// list item that holds it disappears).
    pub fn render(&self, node: &Value) -> Result<Option<Value>, String> {
        if let Some((name, arg)) = intrinsic(node) {
            return match name {
                "Ref" => self.reference(arg.as_str().ok_or("Ref takes a name")?),
                "Sub" => self.sub(arg).map(|s| Some(Value::String(s))),
                "If" => {
                    let parts = args(arg, 3, "Fn::If")?;
                    let condition = parts[0].as_str().ok_or("Fn::If takes a condition name")?;
                    let chosen = if self.condition(condition)? {
                        &parts[1]
                    } else {
                        &parts[2]
                    };
                    self.render(chosen)
                }
                "GetAtt" => {
                    let path = match arg {
                        Value::String(s) => s.clone(),
                        Value::Array(p) => p
                            .iter()
                            .map(scalar)
                            .collect::<Result<Vec<_>, _>>()?
                            .join("."),
                        _ => return Err(format!("bad Fn::GetAtt {arg}")),
                    };
                    Ok(Some(Value::String(format!("<{path}>"))))
                }
                other => Err(format!("intrinsic {other} is not supported")),
            };
        }
        Ok(Some(match node {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.extend(self.render(item)?);
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, value) in map {
                    if let Some(value) = self.render(value)? {
                        out.insert(key.clone(), value);
                    }
                }
                Value::Object(out)
            }
            scalar => scalar.clone(),
        }))
    }

    fn reference(&self, name: &str) -> Result<Option<Value>, String> {
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        Ok(Some(Value::String(self.lookup(name, &Map::new()))))
    }

    /// A parameter, pseudo parameter, `Fn::Sub` variable, or a placeholder for a
    /// resource's physical id or attribute.
    fn lookup(&self, name: &str, variables: &Map<String, Value>) -> String {
        if let Some(v) = variables.get(name).and_then(Value::as_str) {
            return v.to_owned();
        }
        if let Some(v) = self.parameters.get(name) {
            return v.clone();
        }
        match name {
            "AWS::Region" => REGION.to_owned(),
            "AWS::AccountId" => ACCOUNT.to_owned(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::StackName" => STACK_NAME.to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            other => format!("<{other}>"),
        }
    }

    fn sub(&self, arg: &Value) -> Result<String, String> {
        let (text, variables) = match arg {
            Value::String(s) => (s.as_str(), Map::new()),
            Value::Array(parts) if parts.len() == 2 => {
                let text = parts[0].as_str().ok_or("Fn::Sub takes a string")?;
                let mut variables = Map::new();
                for (k, v) in parts[1].as_object().ok_or("Fn::Sub variables are a map")? {
                    variables.insert(k.clone(), Value::String(self.string(v)?));
                }
                (text, variables)
            }
            _ => return Err(format!("bad Fn::Sub {arg}")),
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {text}"))?;
            let name = &after[..end];
            match name.strip_prefix('!') {
                Some(literal) => {
                    out.push_str("${");
                    out.push_str(literal);
                    out.push('}');
                }
                None => out.push_str(&self.lookup(name, &variables)),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A function's `Environment.Variables` as Lambda would receive them (strings).
    pub fn environment(&self, function: &str) -> Result<BTreeMap<String, String>, String> {
        let node = self
            .root
            .pointer(&format!(
                "/Resources/{function}/Properties/Environment/Variables"
            ))
            .ok_or_else(|| format!("{function} has no Environment.Variables"))?;
        let rendered = self.render(node)?.unwrap_or(Value::Null);
        rendered
            .as_object()
            .ok_or("Environment.Variables is not a map")?
            .iter()
            .map(|(k, v)| Ok((k.clone(), scalar(v)?)))
            .collect()
    }

    /// A resource rendered, or `None` when its `Condition` is false.
    pub fn resource(&self, name: &str) -> Result<Option<Value>, String> {
        let node = self
            .root
            .pointer(&format!("/Resources/{name}"))
            .ok_or_else(|| format!("no resource {name}"))?;
        self.conditional(node)
    }

    /// An output's value, or `None` when its `Condition` is false.
    pub fn output(&self, name: &str) -> Result<Option<String>, String> {
        let node = self
            .root
            .pointer(&format!("/Outputs/{name}"))
            .ok_or_else(|| format!("no output {name}"))?;
        match self.conditional(node)? {
            Some(output) => output
                .get("Value")
                .map(scalar)
                .transpose()
                .map(|v| v.or(Some(String::new()))),
            None => Ok(None),
        }
    }

    fn conditional(&self, node: &Value) -> Result<Option<Value>, String> {
        if let Some(condition) = node.get("Condition").and_then(Value::as_str)
            && !self.condition(condition)?
        {
            return Ok(None);
        }
        self.render(node)
    }
}

#[cfg(test)]
mod tests;
