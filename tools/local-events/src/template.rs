//! Reading the auth configuration straight from a SAM / CloudFormation template, so the
//! local endpoint enforces what will be deployed.
//!
//! Read: the one `AWS::AppSync::Api`'s `EventConfig` (`ConnectionAuthModes`,
//! `DefaultPublishAuthModes`, `DefaultSubscribeAuthModes`, and the `AWS_LAMBDA` provider's
//! `AuthorizerResultTtlInSeconds`), and every `AWS::AppSync::ChannelNamespace`'s `Name`,
//! `PublishAuthModes` and `SubscribeAuthModes`. CloudFormation tags (`!Ref`, `!GetAtt`,
//! `!Sub`, `!If`, …) parse as tagged nodes and never break reading; a value that is needed
//! is resolved when it is a literal, a `!Ref` (or `Ref:`) to a parameter, a `!Sub` of
//! parameters, or an `!If` on a condition of the template's `Conditions` (`!Equals`,
//! `!Not`, `!And`, `!Or`, `!Condition`) whose branches are such values or
//! `!Ref AWS::NoValue` — anything else is an error naming the resource and property.
//! A parameter's value is its override (`--parameter-overrides`, checked against its
//! `AllowedPattern` / `AllowedValues` as CloudFormation does), else its `Default`.
//! The `AWS_LAMBDA` provider's `IdentityValidationExpression` is read too, so tokens are
//! pre-filtered as AppSync does. Auth types this endpoint does not emulate (`API_KEY`,
//! Cognito, OIDC) are dropped with a warning.

use std::collections::BTreeMap;
use std::path::Path;

use appsync_types::channel::is_valid_namespace;
use serde_json::{Map, Value};
use testkit::cfn::to_json_document;

use crate::error::Error;
use crate::modes::{AuthMode, EventConfig, NamespaceModes};
use crate::token::IdentityValidation;

/// How deep `!If` / condition functions may nest (a bound against cycles).
const MAX_DEPTH: usize = 16;

/// What a template says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateConfig {
    /// Modes and namespaces.
    pub event_config: EventConfig,
    /// `AuthorizerResultTtlInSeconds` of the `AWS_LAMBDA` provider, resolved.
    pub authorizer_ttl: Option<u64>,
    /// `IdentityValidationExpression` of the `AWS_LAMBDA` provider, resolved and compiled
    /// (`None`: absent, or `!Ref AWS::NoValue`).
    pub identity_validation: Option<IdentityValidation>,
    /// Things dropped or assumed, to log at start-up.
    pub warnings: Vec<String>,
}

/// Parameter values that replace the template's defaults (`Key=Value`, as `sam deploy
/// --parameter-overrides` takes them).
pub type Overrides = BTreeMap<String, String>;

/// Reads and interprets the template at `path`, with parameter `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<TemplateConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| template_error(path, e.to_string()))?;
    parse_with(&text, overrides).map_err(|reason| template_error(path, reason))
}

fn template_error(path: &Path, reason: String) -> Error {
    Error::Template {
        path: path.display().to_string(),
        reason,
    }
}

/// Interprets template text with every parameter at its default.
pub fn parse(text: &str) -> Result<TemplateConfig, String> {
    parse_with(text, &Overrides::new())
}

/// Interprets template text with parameter `overrides`.
pub fn parse_with(text: &str, overrides: &Overrides) -> Result<TemplateConfig, String> {
    let root = to_json_document(text)?;
    let parameters = root.get("Parameters").and_then(Value::as_object);
    let resources = root
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or("no Resources section")?;
    let resolver = Resolver {
        parameters,
        conditions: root.get("Conditions").and_then(Value::as_object),
        overrides,
    };
    resolver.check_overrides()?;
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
    let mut identity_validation = None;
    for provider in event_config
        .get("AuthProviders")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let auth_type = provider
            .get("AuthType")
            .map(|t| resolver.scalar(t, "AuthType"));
        if !matches!(auth_type, Some(Ok(ref t)) if t == "AWS_LAMBDA") {
            continue;
        }
        if let Some(expression) =
            provider.pointer("/LambdaAuthorizerConfig/IdentityValidationExpression")
        {
            let what = format!(
                "{api_name}.EventConfig.AuthProviders[AWS_LAMBDA].IdentityValidationExpression"
            );
            identity_validation = resolver
                .optional(expression, &what, 0)?
                .map(|pattern| {
                    IdentityValidation::new(&pattern).map_err(|e| format!("{what}: {e}"))
                })
                .transpose()?;
        }
        if let Some(ttl) = provider.pointer("/LambdaAuthorizerConfig/AuthorizerResultTtlInSeconds")
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
        identity_validation,
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
    conditions: Option<&'a Map<String, Value>>,
    overrides: &'a Overrides,
}

/// `{"!Tag": inner}` or `{"Fn::Tag": inner}` (also `Ref`, `Condition`) as `("Tag", inner)`.
fn function(node: &Value) -> Option<(&str, &Value)> {
    let map = node.as_object().filter(|m| m.len() == 1)?;
    let (tag, inner) = map.iter().next()?;
    let name = tag
        .strip_prefix('!')
        .or_else(|| tag.strip_prefix("Fn::"))
        .unwrap_or(tag);
    Some((name, inner))
}

impl Resolver<'_> {
    fn scalar(&self, node: &Value, what: &str) -> Result<String, String> {
        self.optional(node, what, 0)?
            .ok_or_else(|| format!("{what}: is AWS::NoValue, but a value is required"))
    }

    /// A scalar, or `None` for `!Ref AWS::NoValue` (possibly chosen by an `!If`).
    fn optional(&self, node: &Value, what: &str, depth: usize) -> Result<Option<String>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{what}: functions nested too deeply"));
        }
        match node {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            _ => match function(node) {
                Some(("Ref", inner)) if inner.as_str() == Some("AWS::NoValue") => Ok(None),
                Some(("Ref", inner)) => self.parameter(inner, what).map(Some),
                Some(("Sub", inner)) => self.substitute(inner, what).map(Some),
                Some(("If", inner)) => {
                    let (condition, then, otherwise) = match inner.as_array().map(Vec::as_slice) {
                        Some([c, t, o]) => (c, t, o),
                        _ => return Err(format!("{what}: !If needs [condition, value, value]")),
                    };
                    let name = condition
                        .as_str()
                        .ok_or_else(|| format!("{what}: !If needs a condition name"))?;
                    let chosen = if self.condition(name, what, depth + 1)? {
                        then
                    } else {
                        otherwise
                    };
                    self.optional(chosen, what, depth + 1)
                }
                Some((other, _)) => Err(format!(
                    "{what}: cannot resolve !{other} locally; use a literal, a !Ref to a parameter, a !Sub or an !If on a condition"
                )),
                None => Err(format!("{what}: expected a string")),
            },
        }
    }

    /// The named entry of `Conditions`, evaluated.
    fn condition(&self, name: &str, what: &str, depth: usize) -> Result<bool, String> {
        let node = self
            .conditions
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("{what}: no condition {name:?} in Conditions"))?;
        self.evaluate(node, &format!("{what} (condition {name})"), depth)
    }

    fn evaluate(&self, node: &Value, what: &str, depth: usize) -> Result<bool, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{what}: conditions nested too deeply"));
        }
        let list = |inner: &Value| -> Result<Vec<bool>, String> {
            inner
                .as_array()
                .ok_or_else(|| format!("{what}: expected a list of conditions"))?
                .iter()
                .map(|c| self.evaluate(c, what, depth + 1))
                .collect()
        };
        match function(node) {
            Some(("Equals", inner)) => match inner.as_array().map(Vec::as_slice) {
                Some([a, b]) => {
                    Ok(self.optional(a, what, depth + 1)? == self.optional(b, what, depth + 1)?)
                }
                _ => Err(format!("{what}: !Equals needs two values")),
            },
            Some(("Not", inner)) => match list(inner)?.as_slice() {
                [one] => Ok(!one),
                _ => Err(format!("{what}: !Not needs one condition")),
            },
            Some(("And", inner)) => Ok(list(inner)?.into_iter().all(|c| c)),
            Some(("Or", inner)) => Ok(list(inner)?.into_iter().any(|c| c)),
            Some(("Condition", inner)) => {
                let name = inner
                    .as_str()
                    .ok_or_else(|| format!("{what}: !Condition needs a name"))?;
                self.condition(name, what, depth + 1)
            }
            _ => Err(format!(
                "{what}: cannot evaluate this condition locally (expected !Equals, !Not, !And, !Or or !Condition)"
            )),
        }
    }

    fn parameter(&self, name: &Value, what: &str) -> Result<String, String> {
        let name = name
            .as_str()
            .ok_or_else(|| format!("{what}: !Ref needs a name"))?;
        if let Some(value) = self.overrides.get(name) {
            return Ok(value.clone());
        }
        let default = self
            .parameters
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("Default"))
            .ok_or_else(|| {
                format!(
                    "{what}: !Ref {name} is not a template parameter with a Default (pass --parameter-overrides {name}=…)"
                )
            })?;
        self.scalar(default, what)
    }

    /// Every override names a parameter and passes its `AllowedPattern` (matched as a
    /// whole, as CloudFormation does) and `AllowedValues`.
    fn check_overrides(&self) -> Result<(), String> {
        for (name, value) in self.overrides {
            let what = format!("parameter override {name}");
            let parameter = self
                .parameters
                .and_then(|p| p.get(name))
                .ok_or_else(|| format!("{what}: the template has no parameter {name}"))?;
            if let Some(pattern) = parameter.get("AllowedPattern").and_then(Value::as_str) {
                let whole = regex::Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| format!("{what}: its AllowedPattern does not compile: {e}"))?;
                if !whole.is_match(value) {
                    return Err(format!(
                        "{what}: {value:?} does not match its AllowedPattern {pattern:?}"
                    ));
                }
            }
            if let Some(allowed) = parameter.get("AllowedValues").and_then(Value::as_array) {
                let allowed: Vec<String> = allowed
                    .iter()
                    .map(|v| self.scalar(v, &what))
                    .collect::<Result<_, _>>()?;
                if !allowed.contains(value) {
                    return Err(format!("{what}: {value:?} is not one of {allowed:?}"));
                }
            }
        }
        Ok(())
    }

    /// `!Sub 'text ${Param} text'` with parameter values; no variable map form.
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

#[cfg(test)]
mod tests;
