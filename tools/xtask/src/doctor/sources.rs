//! Where the configuration comes from: env files, and the authorizer's variables and
//! `IdentityValidationExpression` in a SAM template, resolved with parameter values.
//!
//! The template is read and evaluated by `testkit::cfn` (the reader local-events and the
//! tests use): literals, `Ref`/`!Ref` to parameters (override, else `Default`; taken as
//! given, so a development value such as a loopback issuer passes), `AWS::NoValue`, `AWS::Region` (taken as
//! `us-east-1`), `!If` over the template's conditions and `!Sub`. Anything else
//! (`!GetAtt`, …) is reported as not resolvable and left out.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};
use testkit::cfn::Template;

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
    let template = Template::read(path)?;
    let stack = template
        .local_unchecked(overrides, &[("AWS::Region", "us-east-1")])
        .map_err(|e| format!("--parameter-overrides: {e}"))?;
    let root = template.root();
    let empty = Map::new();
    let resources = root
        .get("Resources")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
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
            match stack.value(value) {
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
            match stack.value(expression) {
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
