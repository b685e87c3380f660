//! Reading the auth configuration straight from a SAM / CloudFormation template, so the
//! local endpoint enforces what will be deployed.
//!
//! Read: the one `AWS::AppSync::Api`'s `EventConfig` (`ConnectionAuthModes`,
//! `DefaultPublishAuthModes`, `DefaultSubscribeAuthModes`, and the `AWS_LAMBDA` provider's
//! `AuthorizerResultTtlInSeconds`), and every `AWS::AppSync::ChannelNamespace`'s `Name`,
//! `PublishAuthModes` and `SubscribeAuthModes`. CloudFormation tags (`!Ref`, `!GetAtt`,
//! `!Sub`, `!If`, …) parse as tagged nodes and never break reading; a value that is needed
//! is resolved when it is a literal, a `!Ref` (or `Ref:`) to a parameter with a `Default`,
//! or a `!Sub` of such parameters — anything else is an error naming the resource and
//! property. Auth types this endpoint does not emulate (`API_KEY`, Cognito, OIDC) are
//! dropped with a warning.

use std::collections::BTreeMap;
use std::path::Path;

use appsync_types::channel::is_valid_namespace;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::modes::{AuthMode, EventConfig, NamespaceModes};

/// What a template says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateConfig {
    /// Modes and namespaces.
    pub event_config: EventConfig,
    /// `AuthorizerResultTtlInSeconds` of the `AWS_LAMBDA` provider, resolved.
    pub authorizer_ttl: Option<u64>,
    /// Things dropped or assumed, to log at start-up.
    pub warnings: Vec<String>,
}

/// Reads and interprets the template at `path`.
pub fn load(path: &Path) -> Result<TemplateConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| template_error(path, e.to_string()))?;
    parse(&text).map_err(|reason| template_error(path, reason))
}

fn template_error(path: &Path, reason: String) -> Error {
    Error::Template {
        path: path.display().to_string(),
        reason,
    }
}

/// Interprets template text.
pub fn parse(text: &str) -> Result<TemplateConfig, String> {
    let docs = Yaml::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let root = docs.first().map(to_json).unwrap_or(Value::Null);
    let parameters = root.get("Parameters").and_then(Value::as_object);
    let resources = root
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or("no Resources section")?;
    let resolver = Resolver { parameters };
    let mut warnings = Vec::new();

    let apis: Vec<(&String, &Value)> = resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::AppSync::Api"))
        .collect();
    let (api_name, api) = match apis.as_slice() {
        [one] => *one,
        [] => return Err("no AWS::AppSync::Api resource".into()),
        _ => {
            return Err(
                "more than one AWS::AppSync::Api resource; local-events emulates one API".into(),
            );
        }
    };
    let event_config = api
        .pointer("/Properties/EventConfig")
        .ok_or_else(|| format!("{api_name}: no Properties.EventConfig (is it an Event API?)"))?;
    let modes = |key: &str, warnings: &mut Vec<String>| -> Result<Vec<AuthMode>, String> {
        let node = event_config
            .get(key)
            .ok_or_else(|| format!("{api_name}.EventConfig: no {key}"))?;
        auth_modes(
            node,
            &format!("{api_name}.EventConfig.{key}"),
            &resolver,
            warnings,
        )
    };
    let mut config = EventConfig {
        connect: modes("ConnectionAuthModes", &mut warnings)?,
        default_publish: modes("DefaultPublishAuthModes", &mut warnings)?,
        default_subscribe: modes("DefaultSubscribeAuthModes", &mut warnings)?,
        namespaces: BTreeMap::new(),
    };

    let mut authorizer_ttl = None;
    for provider in event_config
        .get("AuthProviders")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let auth_type = provider
            .get("AuthType")
            .map(|t| resolver.scalar(t, "AuthType"));
        if matches!(auth_type, Some(Ok(ref t)) if t == "AWS_LAMBDA")
            && let Some(ttl) =
                provider.pointer("/LambdaAuthorizerConfig/AuthorizerResultTtlInSeconds")
        {
            let what = format!(
                "{api_name}.EventConfig.AuthProviders[AWS_LAMBDA].AuthorizerResultTtlInSeconds"
            );
            let ttl = resolver.scalar(ttl, &what)?;
            authorizer_ttl = Some(ttl.parse::<u64>().ok().filter(|t| *t <= 3600).ok_or_else(
                || format!("{what}: {ttl:?} is not a number of seconds from 0 to 3600"),
            )?);
        }
    }

    for (name, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::AppSync::ChannelNamespace") {
            continue;
        }
        let properties = resource.get("Properties").unwrap_or(&Value::Null);
        let namespace = resolver.scalar(
            properties
                .get("Name")
                .ok_or_else(|| format!("{name}: no Properties.Name"))?,
            &format!("{name}.Name"),
        )?;
        if !is_valid_namespace(&namespace) {
            return Err(format!(
                "{name}.Name: {namespace:?} is not a valid namespace name"
            ));
        }
        let overrides = |key: &str, warnings: &mut Vec<String>| {
            properties
                .get(key)
                .map(|node| auth_modes(node, &format!("{name}.{key}"), &resolver, warnings))
                .transpose()
        };
        let modes = NamespaceModes {
            publish: overrides("PublishAuthModes", &mut warnings)?,
            subscribe: overrides("SubscribeAuthModes", &mut warnings)?,
        };
        config.namespaces.insert(namespace, modes);
    }
    if config.namespaces.is_empty() {
        warnings.push("the template defines no AWS::AppSync::ChannelNamespace; add namespaces with --namespace".into());
    }
    Ok(TemplateConfig {
        event_config: config,
        authorizer_ttl,
        warnings,
    })
}

/// Reads `[{AuthType: X}, …]`, dropping types this endpoint does not emulate.
fn auth_modes(
    node: &Value,
    what: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<AuthMode>, String> {
    let list = node
        .as_array()
        .ok_or_else(|| format!("{what}: expected a list of {{AuthType: …}}"))?;
    let mut modes = Vec::new();
    for entry in list {
        let auth_type = entry
            .get("AuthType")
            .ok_or_else(|| format!("{what}: an entry has no AuthType"))?;
        let auth_type = resolver.scalar(auth_type, &format!("{what}.AuthType"))?;
        match auth_type.as_str() {
            "AWS_LAMBDA" | "AWS_IAM" => {
                let mode = AuthMode::parse(&auth_type).ok_or("unreachable auth type")?;
                if !modes.contains(&mode) {
                    modes.push(mode);
                }
            }
            "API_KEY" | "AMAZON_COGNITO_USER_POOLS" | "OPENID_CONNECT" => warnings.push(format!(
                "{what}: {auth_type} is not emulated by local-events; requests using it are refused"
            )),
            other => return Err(format!("{what}: unknown AuthType {other:?}")),
        }
    }
    if modes.is_empty() {
        return Err(format!(
            "{what}: none of the listed auth types is emulated (local-events checks AWS_LAMBDA and AWS_IAM)"
        ));
    }
    Ok(modes)
}

/// Resolves the scalars the endpoint needs from a template's tagged nodes.
struct Resolver<'a> {
    parameters: Option<&'a Map<String, Value>>,
}

impl Resolver<'_> {
    fn scalar(&self, node: &Value, what: &str) -> Result<String, String> {
        match node {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Object(map) if map.len() == 1 => {
                let (tag, inner) = map.iter().next().ok_or("empty mapping")?;
                match tag.as_str() {
                    "!Ref" | "Ref" => self.parameter(inner, what),
                    "!Sub" | "Fn::Sub" => self.substitute(inner, what),
                    other => Err(format!(
                        "{what}: cannot resolve {other} locally; use a literal, a !Ref to a parameter with a Default, or pass the value as a flag"
                    )),
                }
            }
            _ => Err(format!("{what}: expected a string")),
        }
    }

    fn parameter(&self, name: &Value, what: &str) -> Result<String, String> {
        let name = name
            .as_str()
            .ok_or_else(|| format!("{what}: !Ref needs a name"))?;
        let default = self
            .parameters
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("Default"))
            .ok_or_else(|| {
                format!("{what}: !Ref {name} is not a template parameter with a Default")
            })?;
        self.scalar(default, what)
    }

    /// `!Sub 'text ${Param} text'` with parameter defaults; no variable map form.
    fn substitute(&self, template: &Value, what: &str) -> Result<String, String> {
        let mut rest = template
            .as_str()
            .ok_or_else(|| format!("{what}: only the string form of !Sub is resolved"))?;
        let mut out = String::new();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| format!("{what}: unclosed ${{ in !Sub"))?;
            let name = &rest[start + 2..start + end];
            out.push_str(&self.parameter(&Value::String(name.to_owned()), what)?);
            rest = &rest[start + end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Converts YAML to JSON, a tagged node `!Tag x` becoming `{"!Tag": x}`.
/// The first YAML document of `text` as JSON, CloudFormation short-form tags kept as
/// one-key objects (`!Ref X` → `{"!Ref": "X"}`): for tools that evaluate a template.
pub fn to_json_document(text: &str) -> Result<Value, String> {
    let docs = Yaml::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    Ok(docs.first().map(to_json).unwrap_or(Value::Null))
}

fn to_json(node: &Yaml<'_>) -> Value {
    match node {
        Yaml::Value(scalar) => scalar_json(scalar),
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

fn scalar_json(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests;
