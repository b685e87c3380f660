//! Where the configuration comes from: env files, and the authorizer's variables and
//! `IdentityValidationExpression` in a SAM template, resolved with parameter values.
//!
//! The template is evaluated for what these values use: literals, `Ref`/`!Ref` to
//! parameters (override, else `Default`), `AWS::NoValue`, `!If` over the template's
//! conditions (`!Equals`, `!Not`, `!And`, `!Or`, `!Condition`) and `!Sub` of parameters.
//! Anything else (`!GetAtt`, …) is reported as not resolvable and left out.

use std::collections::BTreeMap;
use std::path::Path;

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value};

/// Reads `KEY=VALUE` lines (`#` comments, optional `export `, optional quotes).
pub fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut vars = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("{}:{}: not KEY=VALUE", path.display(), n + 1));
        };
        let value = value.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        vars.push((key.trim().to_owned(), unquoted.to_owned()));
    }
    Ok(vars)
}

/// What a template says about the authorizer.
#[derive(Debug, Default)]
pub struct TemplateAuthorizer {
    /// The authorizer function's variables (Globals merged), resolved.
    pub vars: Vec<(String, String)>,
    /// `IdentityValidationExpression` of the API's Lambda authorization, when set.
    pub identity_validation_expression: Option<String>,
    /// Values that could not be resolved, and other remarks.
    pub notes: Vec<String>,
}

/// Reads the template at `path` with `overrides` for its parameters.
pub fn read_template(
    path: &Path,
    overrides: &[(String, String)],
) -> Result<TemplateAuthorizer, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let docs = Yaml::load_from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?;
    let root = docs.first().map(to_json).unwrap_or(Value::Null);
    let empty = Map::new();
    let section = |name: &str| root.get(name).and_then(Value::as_object).unwrap_or(&empty);
    let mut parameters: BTreeMap<String, String> = BTreeMap::new();
    for (name, spec) in section("Parameters") {
        if let Some(default) = spec.get("Default") {
            parameters.insert(name.clone(), scalar(default).unwrap_or_default());
        }
    }
    for (key, value) in overrides {
        if !section("Parameters").contains_key(key) {
            return Err(format!(
                "--parameter-overrides: the template has no parameter {key:?}"
            ));
        }
        parameters.insert(key.clone(), value.clone());
    }
    let eval = Eval {
        parameters: &parameters,
        conditions: section("Conditions"),
    };
    let resources = section("Resources");
    let (name, function) = resources
        .iter()
        .find(|(_, r)| {
            r["Metadata"]["BuildProperties"]["Binary"] == "authorizer"
                || r["Properties"]["CodeUri"]
                    .as_str()
                    .is_some_and(|c| c.contains("authorizer"))
        })
        .or_else(|| resources.get_key_value("AuthorizerFunction"))
        .ok_or("no authorizer function (a resource built from the `authorizer` binary)")?;
    let mut out = TemplateAuthorizer::default();
    let globals = &root["Globals"]["Function"]["Environment"]["Variables"];
    let own = &function["Properties"]["Environment"]["Variables"];
    let mut vars: BTreeMap<String, Option<String>> = BTreeMap::new();
    for source in [globals, own] {
        for (key, value) in source.as_object().unwrap_or(&empty) {
            match eval.value(value) {
                Ok(v) => {
                    vars.insert(key.clone(), v);
                }
                Err(why) => out
                    .notes
                    .push(format!("{name}: {key} not resolved ({why}); left unset")),
            }
        }
    }
    out.vars = vars
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    for resource in resources.values() {
        if let Some(expression) = find_key(&resource["Properties"], "IdentityValidationExpression")
        {
            match eval.value(expression) {
                Ok(v) => out.identity_validation_expression = v,
                Err(why) => out
                    .notes
                    .push(format!("IdentityValidationExpression not resolved ({why})")),
            }
        }
    }
    Ok(out)
}

fn find_key<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

struct Eval<'a> {
    parameters: &'a BTreeMap<String, String>,
    conditions: &'a Map<String, Value>,
}

/// The one intrinsic function of a `{"!Fn": arg}` / `{"Fn::Fn": arg}` node.
fn intrinsic(value: &Value) -> Option<(&str, &Value)> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    let (key, arg) = map.iter().next()?;
    let name = key
        .strip_prefix('!')
        .or_else(|| key.strip_prefix("Fn::"))
        .or((key == "Ref" || key == "Condition").then_some(key.as_str()))?;
    Some((name, arg))
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Eval<'_> {
    /// A value: `Ok(None)` is `AWS::NoValue`.
    fn value(&self, value: &Value) -> Result<Option<String>, String> {
        if let Some(s) = scalar(value) {
            return Ok(Some(s));
        }
        match intrinsic(value) {
            Some(("Ref", Value::String(name))) => self.reference(name),
            Some(("If", Value::Array(args))) if args.len() == 3 => {
                let name = args[0].as_str().ok_or("!If needs a condition name")?;
                let branch = if self.condition_named(name)? {
                    &args[1]
                } else {
                    &args[2]
                };
                self.value(branch)
            }
            Some(("Sub", Value::String(text))) => self.sub(text).map(Some),
            Some((name, _)) => Err(format!("!{name} is not evaluated here")),
            None => Err("not a scalar".into()),
        }
    }

    fn reference(&self, name: &str) -> Result<Option<String>, String> {
        match name {
            "AWS::NoValue" => Ok(None),
            "AWS::Region" => Ok(Some("us-east-1".into())),
            _ => self
                .parameters
                .get(name)
                .cloned()
                .map(Some)
                .ok_or_else(|| format!("Ref {name} is not a parameter")),
        }
    }

    fn sub(&self, text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').ok_or("unclosed ${ in !Sub")? + start;
            let name = &rest[start + 2..end];
            out.push_str(&self.reference(name)?.unwrap_or_default());
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn condition_named(&self, name: &str) -> Result<bool, String> {
        let definition = self
            .conditions
            .get(name)
            .ok_or_else(|| format!("no condition {name}"))?;
        self.condition(definition)
    }

    fn condition(&self, value: &Value) -> Result<bool, String> {
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        match intrinsic(value) {
            Some(("Equals", Value::Array(args))) if args.len() == 2 => {
                Ok(self.value(&args[0])? == self.value(&args[1])?)
            }
            Some(("Not", arg)) => Ok(!self.condition(list(arg).first().ok_or("!Not needs one")?)?),
            Some(("And", arg)) => list(arg)
                .iter()
                .try_fold(true, |acc, c| Ok(acc && self.condition(c)?)),
            Some(("Or", arg)) => list(arg)
                .iter()
                .try_fold(false, |acc, c| Ok(acc || self.condition(c)?)),
            Some(("Condition", Value::String(name))) => self.condition_named(name),
            _ => Err(format!("condition {value} is not evaluated here")),
        }
    }
}

fn to_json(node: &Yaml<'_>) -> Value {
    match node {
        Yaml::Value(s) => match s {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::from(*i),
            Scalar::FloatingPoint(f) => {
                serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
            }
            Scalar::String(s) => Value::String(s.to_string()),
        },
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(tag, inner) => {
            let mut map = Map::new();
            map.insert(format!("{}{}", tag.handle, tag.suffix), to_json(inner));
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projects_template_resolves_with_defaults_and_overrides() {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let t = read_template(
            &template,
            &[("JwtIssuer".into(), "https://abc.supabase.co/auth/v1".into())],
        )
        .expect("reads");
        let var = |k: &str| t.vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(var("JWT_ISSUER"), Some("https://abc.supabase.co/auth/v1"));
        assert_eq!(var("TOKEN_PREFIXES"), Some("supabase:"));
        assert_eq!(var("JWT_SECRET"), None, "AWS::NoValue is unset");
        assert_eq!(
            t.identity_validation_expression.as_deref(),
            Some(r"^supabase:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
        );
        let raw =
            read_template(&template, &[("TokenPrefix".into(), String::new())]).expect("reads");
        assert_eq!(raw.identity_validation_expression, None);
        assert!(read_template(&template, &[("Nope".into(), "x".into())]).is_err());
    }
}
