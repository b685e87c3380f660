//! The configuration document, for users: its JSON Schema (derived from the very types the
//! authorizer deserializes) is committed and current, and every JSON example in
//! `docs/configuration.md` is accepted by the real parser and compiles into an authorizer.
//!
//! After changing a configuration type, regenerate the schema with
//! `UPDATE_SCHEMA=1 cargo test -p e2e --test config_docs`.

use std::sync::Arc;

use jwt_authz::{
    Authorizer, AuthorizerConfig, Dependencies, FetchLimits, HttpFetcher, NoSecretStore,
};
use serde_json::Value;
use testkit::binaries::workspace_root;

const SCHEMA: &str = "docs/authorizer-config.schema.json";

fn schema_text() -> String {
    let mut schema = schemars::schema_for!(AuthorizerConfig);
    schema.insert(
        "title".into(),
        "AppSync Events authorizer configuration (AUTHORIZER_CONFIG)".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serializes");
    text.push('\n');
    text
}

#[test]
fn the_committed_json_schema_is_current() {
    let path = workspace_root().join(SCHEMA);
    let fresh = schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{SCHEMA} is stale: run `UPDATE_SCHEMA=1 cargo test -p e2e --test config_docs` and commit it"
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
