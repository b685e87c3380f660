//! The authorizer's configuration document: the JSON accepted in `AUTHORIZER_CONFIG`
//! (and its file / SSM forms), also built by the function crate from flat environment
//! variables. Unknown fields are errors, so a typo stops the cold start instead of
//! silently weakening a check.
//!
//! ```json
//! {
//!   "issuers": [{
//!     "issuer": "https://abcd.supabase.co/auth/v1",
//!     "profile": "supabase",
//!     "audience": ["authenticated"],
//!     "contextClaims": ["email", "app_metadata.org_id"]
//!   }],
//!   "tokenPrefixes": ["supabase:"],
//!   "cacheTtlSeconds": 300,
//!   "channelRules": [{"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]}]
//! }
//! ```

use serde::Deserialize;

use crate::rules::{ChannelRuleConfig, GraphqlRuleConfig};

/// Default `ttlOverride` ceiling for allows, in seconds.
pub(crate) const DEFAULT_CACHE_TTL_SECONDS: u64 = 300;
/// AppSync's maximum authorizer cache TTL, in seconds.
pub(crate) const MAX_CACHE_TTL_SECONDS: u64 = 3600;
/// Default clock-skew leeway, in seconds.
pub(crate) const DEFAULT_LEEWAY_SECONDS: u64 = 30;

/// The whole authorizer configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizerConfig {
    /// The JSON Schema the document follows, for editors (e.g. a path to
    /// `docs/authorizer-config.schema.json`); ignored by the authorizer.
    #[serde(default, rename = "$schema")]
    pub schema: Option<String>,
    /// Accepted issuers; the token's (unverified) `iss` selects one, whose full
    /// configuration then verifies the token.
    pub issuers: Vec<IssuerConfig>,
    /// Wrappers stripped from the front of tokens (first match wins).
    #[serde(default)]
    pub token_prefixes: Vec<String>,
    /// Wrappers stripped from the end of tokens (first match wins).
    #[serde(default)]
    pub token_suffixes: Vec<String>,
    /// Ceiling for the `ttlOverride` of an allow, 0–3600 s. Default 300. The answer's TTL is
    /// never longer than the token's remaining lifetime.
    #[serde(default)]
    pub cache_ttl_seconds: Option<u64>,
    /// Whether connect answers may be cached when channel rules are configured. Default
    /// false (every Events answer then carries `ttlOverride: 0`): AppSync's Events cache
    /// key is undocumented, and if it were the token alone a cached connect allow would
    /// skip the rules for that token's subscribes. `true` trades that risk for one
    /// invocation less per connection and is logged as a warning at init.
    #[serde(default)]
    pub cache_connect: Option<bool>,
    /// How many recently verified tokens to keep, so the same token presented again
    /// (every subscribe and publish under channel rules) skips parsing and the signature;
    /// the key lookup and every claim check still run each time. Default 512, at most
    /// 16384; 0 turns it off.
    #[serde(default)]
    pub verified_token_cache: Option<usize>,
    /// Channel rules (AppSync Events).
    #[serde(default)]
    pub channel_rules: Vec<ChannelRuleConfig>,
    /// Field rules (AppSync GraphQL `deniedFields`).
    #[serde(default)]
    pub graphql_rules: Vec<GraphqlRuleConfig>,
}

/// One accepted issuer.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact `iss` value.
    pub issuer: String,
    /// `supabase` (default), `auth0`, `clerk`, `cognito`, `firebase` or `oidc`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["supabase", "auth0", "clerk", "cognito", "firebase", "oidc", null])))]
    pub profile: Option<String>,
    /// Accepted audiences (any-of). Defaults per profile; required for auth0/oidc.
    #[serde(default)]
    pub audience: Option<Vec<String>>,
    /// Explicit opt-out of the audience check (for issuers whose tokens carry none).
    #[serde(default)]
    pub allow_any_audience: bool,
    /// The JWKS URL. Default per profile: `<issuer>/.well-known/jwks.json` for
    /// supabase/clerk/cognito, Google's securetoken key set for firebase, OIDC discovery
    /// for auth0/oidc. With a `secret`, set it to accept key-set tokens too.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Algorithm allow-list. Default: the asymmetric algorithms (RS*, PS*, ES256/384,
    /// EdDSA; RS256 only for firebase), `HS256` for an issuer with a shared secret, both
    /// for an issuer with a secret and a `jwksUrl`.
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
    /// Clock-skew leeway in seconds for `exp`/`nbf`/`iat`. Default 30.
    #[serde(default)]
    pub leeway_seconds: Option<u64>,
    /// Shared secret for HS256 tokens (Supabase legacy JWT secret). Alone, the issuer
    /// accepts HS* tokens only. Next to an explicit `jwksUrl` (a migration to signing
    /// keys), HS* tokens are checked only against the secret and asymmetric tokens only
    /// against the key set.
    #[serde(default)]
    pub secret: Option<SecretRef>,
    /// Claims copied into the handler/resolver context besides `sub`, `iss` and the
    /// profile's defaults (dotted paths allowed).
    #[serde(default)]
    pub context_claims: Vec<String>,
    /// Supabase: accept anonymous users (`is_anonymous: true`). Default true.
    #[serde(default)]
    pub allow_anonymous: Option<bool>,
    /// Supabase: minimum `aal` (`aal1`/`aal2`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["aal1", "aal2", null])))]
    pub required_aal: Option<String>,
    /// Clerk: allowed `azp` values (your frontend origins). Required for clerk.
    #[serde(default)]
    pub authorized_parties: Vec<String>,
    /// Clerk: require `sid` (reject JWT-template tokens). Default true.
    #[serde(default)]
    pub require_session: Option<bool>,
    /// Cognito: the token kinds accepted, `access` (default), `id`, or `access,id` (both,
    /// each checked its own way: an access token's `client_id`, an ID token's `aud`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["access", "id", "access,id", null])))]
    pub token_use: Option<String>,
    /// Cognito: accepted app client ids. Required for cognito.
    #[serde(default)]
    pub client_ids: Vec<String>,
}

/// Where a shared secret comes from.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum SecretRef {
    /// The secret itself (local development only).
    Value(String),
    /// A Secrets Manager secret ARN (the `SecretString` is the secret).
    SecretsManagerArn(String),
    /// An SSM Parameter Store `SecureString` name.
    Parameter(String),
}

impl std::fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(<redacted>)"),
            Self::SecretsManagerArn(arn) => f.debug_tuple("SecretsManagerArn").field(arn).finish(),
            Self::Parameter(name) => f.debug_tuple("Parameter").field(name).finish(),
        }
    }
}

impl SecretRef {
    /// A description safe to log (never the value).
    pub fn describe(&self) -> String {
        match self {
            Self::Value(_) => "an inline secret".to_owned(),
            Self::SecretsManagerArn(arn) => format!("Secrets Manager secret {arn}"),
            Self::Parameter(name) => format!("SSM parameter {name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_parses() {
        let doc = r#"{
            "issuers": [{"issuer": "https://abcd.supabase.co/auth/v1", "profile": "supabase",
                         "audience": ["authenticated"], "contextClaims": ["email"]}],
            "tokenPrefixes": ["supabase:"], "cacheTtlSeconds": 300,
            "channelRules": [{"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]}]
        }"#;
        let config: AuthorizerConfig = serde_json::from_str(doc).expect("parses");
        assert_eq!(config.issuers[0].context_claims, ["email"]);
        assert_eq!(config.channel_rules.len(), 1);
    }

    #[test]
    fn unknown_fields_are_errors() {
        let err = serde_json::from_str::<AuthorizerConfig>(
            r#"{"issuers": [{"issuer": "x", "audiance": ["a"]}]}"#,
        )
        .expect_err("typo");
        assert!(err.to_string().contains("audiance"), "{err}");
    }

    #[test]
    fn secret_values_never_print() {
        let s: SecretRef = serde_json::from_str(r#"{"value": "hunter2-hunter2"}"#).expect("parses");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!s.describe().contains("hunter2"));
    }
}
