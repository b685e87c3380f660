//! The configuration document, for users: its JSON Schema (derived from the very types the
//! authorizer deserializes) is committed and current, and every JSON example in
//! `docs/configuration.md` is accepted by the real parser and compiles into an authorizer.
//! And every variable the template sets, or a function's `config.rs` lists, is documented
//! there.
//!
//! After changing a configuration type, regenerate the schema with `cargo xtask docs`
//! (the code this test checks with).

use std::sync::Arc;

use jwt_authz::{
    Authorizer, AuthorizerConfig, Dependencies, FetchLimits, HttpFetcher, NoSecretStore,
};
use serde_json::Value;
use testkit::binaries::workspace_root;

use xtask::docs::{SCHEMA, schema_text};

#[test]
fn the_committed_json_schema_is_current() {
    let stale = xtask::docs::stale(&workspace_root());
    assert!(
        stale.is_empty(),
        "{SCHEMA} is stale: run `cargo xtask docs` and commit it"
    );
}

#[test]
fn the_schema_describes_every_key_and_refuses_unknown_ones() {
    let schema: Value = serde_json::from_str(&schema_text()).expect("json");
    let issuer = &schema["$defs"]["IssuerConfig"];
    assert_eq!(issuer["additionalProperties"], false);
    for key in [
        "issuer",
        "profile",
        "audience",
        "allowAnyAudience",
        "jwksUrl",
        "algorithms",
        "leewaySeconds",
        "secret",
        "contextClaims",
        "allowAnonymous",
        "requiredAal",
        "authorizedParties",
        "requireSession",
        "tokenUse",
        "clientIds",
    ] {
        let property = &issuer["properties"][key];
        assert!(property["description"].is_string(), "{key}: {property}");
    }
    assert_eq!(schema["additionalProperties"], false);
}

/// Every ```json block of docs/configuration.md.
fn documented_examples() -> Vec<String> {
    let text = std::fs::read_to_string(workspace_root().join("docs/configuration.md"))
        .expect("docs/configuration.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_documented_example_compiles_into_an_authorizer() {
    let examples = documented_examples();
    assert!(
        examples.len() >= 7,
        "one example per provider, several issuers, channel rules"
    );
    let deps = Dependencies {
        fetcher: Arc::new(HttpFetcher::new(FetchLimits::default()).expect("client")),
        secrets: Arc::new(NoSecretStore),
        jwks_policy: Default::default(),
    };
    let mut profiles = Vec::new();
    let mut several_issuers = false;
    let mut channel_rules = false;
    for example in &examples {
        let config: AuthorizerConfig =
            serde_json::from_str(example).unwrap_or_else(|e| panic!("{e} in:\n{example}"));
        // Compiling checks everything a cold start checks short of fetching keys.
        Authorizer::new(&config, &deps).unwrap_or_else(|e| panic!("{e} in:\n{example}"));
        for issuer in &config.issuers {
            profiles.push(issuer.profile.clone().unwrap_or_else(|| "supabase".into()));
        }
        several_issuers |= config.issuers.len() > 1;
        channel_rules |= !config.channel_rules.is_empty();
    }
    for profile in ["supabase", "auth0", "clerk", "cognito", "firebase", "oidc"] {
        assert!(
            profiles.iter().any(|p| p == profile),
            "no {profile} example"
        );
    }
    assert!(several_issuers && channel_rules);
}

/// Variable names a function is configured with: the `Environment: Variables:` keys of
/// `template.yaml`, and the first column of the variable table in each function's
/// `config.rs` docs.
fn configured_variables() -> Vec<String> {
    let root = workspace_root();
    let mut names = Vec::new();
    let template = std::fs::read_to_string(root.join("template.yaml")).expect("template.yaml");
    let mut in_variables: Option<usize> = None;
    for line in template.lines() {
        let indent = line.len() - line.trim_start().len();
        match in_variables {
            Some(outer) if indent > outer => {
                if let Some((name, _)) = line.trim().split_once(':')
                    && is_variable(name)
                {
                    names.push(name.to_owned());
                }
            }
            _ => in_variables = (line.trim() == "Variables:").then_some(indent),
        }
    }
    for function in ["authorizer", "publisher"] {
        let path = root.join(format!("functions/{function}/src/config.rs"));
        let source = std::fs::read_to_string(&path).expect("config.rs");
        for row in source.lines().filter_map(|l| l.strip_prefix("//! | `")) {
            if let Some((name, _)) = row.split_once('`')
                && is_variable(name)
            {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

fn is_variable(name: &str) -> bool {
    name.len() > 2
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[test]
fn every_variable_the_functions_are_configured_with_is_documented() {
    let names = configured_variables();
    assert!(
        names.iter().any(|n| n == "JWT_ISSUER") && names.iter().any(|n| n == "EVENTS_ENDPOINT"),
        "found the template's variables: {names:?}"
    );
    let docs = std::fs::read_to_string(workspace_root().join("docs/configuration.md"))
        .expect("docs/configuration.md");
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !docs.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not document {missing:?}"
    );
}
