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
//! constraints as CloudFormation does), else its `Default`. The template is read and
//! evaluated by `testkit::cfn`, the reader the tests and `cargo xtask doctor` use too.
//! The `AWS_LAMBDA` provider's `IdentityValidationExpression` is read too, so tokens are
//! pre-filtered as AppSync does. Auth types this endpoint does not emulate (`API_KEY`,
//! Cognito, OIDC) are dropped with a warning.

use std::collections::BTreeMap;
use std::path::Path;

use appsync_types::channel::is_valid_namespace;
use serde_json::Value;
use testkit::cfn::{Stack, Template};

use crate::error::Error;
use crate::modes::{AuthMode, EventConfig, NamespaceModes};
use crate::token::IdentityValidation;

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
    let template = Template::parse(text)?;
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let stack = template
        .local(&overrides, &[])
        .map_err(|e| format!("parameter {e}"))?;
    let resolver = Resolver(&stack);
    let resources = template
        .root()
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or("no Resources section")?;
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
                .optional(expression, &what)?
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
    resolver: &Resolver<'_, '_>,
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

/// The template's values, errors prefixed with the property they are for.
struct Resolver<'s, 'a>(&'s Stack<'a>);

impl Resolver<'_, '_> {
    /// A scalar other than `AWS::NoValue`.
    fn scalar(&self, node: &Value, what: &str) -> Result<String, String> {
        self.0.string(node).map_err(|e| format!("{what}: {e}"))
    }

    /// A scalar, or `None` for `!Ref AWS::NoValue` (possibly chosen by an `!If`).
    fn optional(&self, node: &Value, what: &str) -> Result<Option<String>, String> {
        self.0.value(node).map_err(|e| format!("{what}: {e}"))
    }
}

#[cfg(test)]
mod tests;
