//! A template with one parameter set, evaluated: `Rules`, `Conditions`, intrinsics.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Refusal, scalar};

/// How deep functions and conditions may nest (a bound against cycles).
const MAX_DEPTH: usize = 64;

/// A template bound to parameter values ([`super::Template::stack`] or
/// [`super::Template::local`]).
#[derive(Debug)]
pub struct Stack<'a> {
    pub(super) root: &'a Value,
    pub(super) parameters: BTreeMap<String, String>,
    pub(super) pseudo: BTreeMap<String, String>,
    /// Placeholders (`<Resource.Attribute>`) for what exists only after a deployment.
    pub(super) placeholders: bool,
    pub(super) conditions: RefCell<BTreeMap<String, bool>>,
    pub(super) depth: Cell<usize>,
}

/// `{"!Ref": x}` / `{"Ref": x}` → `("Ref", x)`; `{"!Sub": x}` / `{"Fn::Sub": x}` →
/// `("Sub", x)`; `{"Condition": x}` → `("Condition", x)`. Anything else is not an intrinsic.
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
    (key == "Ref" || key == "Condition" || key != name).then_some((name, arg))
}

fn args<'v>(arg: &'v Value, n: usize, what: &str) -> Result<&'v [Value], String> {
    match arg.as_array() {
        Some(items) if items.len() == n => Ok(items),
        _ => Err(format!("{what} takes a list of {n}: {arg}")),
    }
}

/// Leaves one level of nesting when dropped.
struct Nested<'s>(&'s Cell<usize>);

impl Drop for Nested<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl<'a> Stack<'a> {
    /// The whole template.
    pub fn template(&self) -> &'a Value {
        self.root
    }

    /// The value bound to a parameter.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }

    fn nested(&self) -> Result<Nested<'_>, String> {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            return Err("functions or conditions nested too deeply (a cycle?)".into());
        }
        self.depth.set(depth + 1);
        Ok(Nested(&self.depth))
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
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("no condition {name:?} in Conditions"))?;
        let value = self.truth(node)?;
        self.conditions.borrow_mut().insert(name.to_owned(), value);
        Ok(value)
    }

    /// A condition function (in `Conditions`, `Rules` and `Fn::If`).
    fn truth(&self, node: &Value) -> Result<bool, String> {
        let _nested = self.nested()?;
        if let Value::Bool(b) = node {
            return Ok(*b);
        }
        let (name, arg) = intrinsic(node).ok_or_else(|| {
            format!("cannot evaluate {node} as a condition (expected !Equals, !Not, !And, !Or or !Condition)")
        })?;
        match name {
            "Equals" => {
                let pair = args(arg, 2, "Fn::Equals")?;
                Ok(self.value(&pair[0])? == self.value(&pair[1])?)
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

    /// A node that must render to a scalar: `None` for `AWS::NoValue`.
    pub fn value(&self, node: &Value) -> Result<Option<String>, String> {
        self.render(node)?.as_ref().map(scalar).transpose()
    }

    /// A node that must render to a scalar other than `AWS::NoValue`.
    pub fn string(&self, node: &Value) -> Result<String, String> {
        self.value(node)?
            .ok_or_else(|| "is AWS::NoValue, but a value is required".to_owned())
    }

    /// Renders `node` with every intrinsic resolved; `None` is `AWS::NoValue` (the key or
    /// list item that holds it disappears).
    pub fn render(&self, node: &Value) -> Result<Option<Value>, String> {
        let _nested = self.nested()?;
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
                "GetAtt" if self.placeholders => {
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
                "GetAtt" => Err(
                    "cannot resolve !GetAtt locally: a resource's attributes exist only once it is deployed"
                        .to_owned(),
                ),
                other => Err(format!(
                    "cannot resolve !{other}: supported are a literal, !Ref to a parameter, !Sub and !If on a condition"
                )),
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
        self.lookup(name, &Map::new())
            .map(|value| Some(Value::String(value)))
    }

    /// A `Fn::Sub` variable, parameter, pseudo parameter, or (on paper) a placeholder for
    /// a resource's physical id.
    fn lookup(&self, name: &str, variables: &Map<String, Value>) -> Result<String, String> {
        if let Some(v) = variables.get(name).and_then(Value::as_str) {
            return Ok(v.to_owned());
        }
        if let Some(v) = self.parameters.get(name).or_else(|| self.pseudo.get(name)) {
            return Ok(v.clone());
        }
        if self.placeholders {
            return Ok(format!("<{name}>"));
        }
        Err(format!(
            "!Ref {name} is not a template parameter with a Default (pass --parameter-overrides {name}=…)"
        ))
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
                .ok_or_else(|| format!("unclosed ${{ in !Sub {text:?}"))?;
            let name = &after[..end];
            match name.strip_prefix('!') {
                Some(literal) => {
                    out.push_str("${");
                    out.push_str(literal);
                    out.push('}');
                }
                None => out.push_str(&self.lookup(name, &variables)?),
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
