//! Configuration, read once at init, in one place.
//!
//! Two forms:
//! - **Flat variables** for one issuer: `JWT_ISSUER`, `JWT_PROFILE`, `JWT_AUDIENCE`, … (see
//!   `docs/configuration.md`).
//! - **A JSON document** (several issuers, channel rules) from exactly one of
//!   `AUTHORIZER_CONFIG` (inline), `AUTHORIZER_CONFIG_FILE` (a path, e.g. a file bundled
//!   with the function: Lambda caps all variables at 4 KB) or `AUTHORIZER_CONFIG_PARAMETER`
//!   (an SSM parameter name or ARN). `TOKEN_PREFIXES`, `TOKEN_SUFFIXES`,
//!   `AUTH_CACHE_TTL_SECONDS` and `VERIFIED_TOKEN_CACHE` fill in what the document leaves unset; `JWT_*` variables are
//!   refused next to a document so two sources never disagree silently.
//!
//! An empty variable counts as unset (SAM passes empty parameters as `""`). Every error
//! names the variable (or JSON path) at fault.
//!
//! AWS access (a secret in Secrets Manager or SSM, or the document in SSM) uses the
//! standard variables — `AWS_REGION`, the execution role's credentials, the
//! `AWS_ENDPOINT_URL_*` overrides — read here too, through [`aws_call::Settings`], and only
//! when something needs it.

use std::time::Duration;

use jwt_authz::{AuthorizerConfig, FetchLimits, HttpFetcher, JwksPolicy, SecretRef};
use serde_json::{Map, Value};

/// A configuration error; stops the cold start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable (or a field of the JSON document) is invalid.
    #[error("{variable}: {message}")]
    Invalid {
        /// The variable or JSON path.
        variable: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(variable: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        variable: variable.into(),
        message: message.into(),
    }
}

/// The configuration and where it came from.
#[derive(Debug)]
pub struct Loaded {
    /// The authorizer configuration.
    pub config: AuthorizerConfig,
    /// Which source it came from (for the init log).
    pub source: &'static str,
    /// The top-level fields of a document that their variables filled in.
    filled: Vec<&'static str>,
    /// The AWS client, when a secret lives in Secrets Manager or SSM.
    pub aws: Option<aws_call::Client>,
    /// Key-set refresh policy (`JWKS_*` variables; the same for every issuer).
    pub jwks_policy: JwksPolicy,
}

/// Reads a process environment variable; empty counts as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

const DOCUMENT_SOURCES: [&str; 3] = [
    "AUTHORIZER_CONFIG",
    "AUTHORIZER_CONFIG_FILE",
    "AUTHORIZER_CONFIG_PARAMETER",
];

/// Where a variable's value goes in the configuration document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// A field of the one issuer the flat variables describe (`issuers[0].<name>`); these
    /// variables are refused next to a document.
    Issuer(&'static str),
    /// A top-level field, filled from the variable when the document leaves it unset.
    Document(&'static str),
}

/// How a variable's text becomes the field's JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The text as it is.
    Text,
    /// Comma-separated items, trimmed, empty ones dropped.
    List,
    /// `true`/`1`/`yes` or `false`/`0`/`no`.
    Bool,
    /// A non-negative whole number.
    Number,
    /// A [`SecretRef`] of this variant (its JSON name).
    Secret(&'static str),
}

/// A variable and the configuration field it sets.
#[derive(Debug)]
struct Variable {
    name: &'static str,
    field: Field,
    kind: Kind,
}

const fn var(name: &'static str, field: Field, kind: Kind) -> Variable {
    Variable { name, field, kind }
}

/// Every variable that sets a configuration field: values are read through this table,
/// and library errors about a field are named back through it. Variables sharing a field
/// are alternatives (at most one may be set).
const VARIABLES: [Variable; 21] = {
    use Field::{Document, Issuer};
    use Kind::{Bool, List, Number, Secret, Text};
    [
        var("JWT_ISSUER", Issuer("issuer"), Text),
        var("JWT_PROFILE", Issuer("profile"), Text),
        var("JWT_AUDIENCE", Issuer("audience"), List),
        var("JWT_ALLOW_ANY_AUDIENCE", Issuer("allowAnyAudience"), Bool),
        var("JWT_JWKS_URL", Issuer("jwksUrl"), Text),
        var("JWT_ALGORITHMS", Issuer("algorithms"), List),
        var("JWT_LEEWAY_SECONDS", Issuer("leewaySeconds"), Number),
        var("JWT_SECRET", Issuer("secret"), Secret("value")),
        var(
            "JWT_SECRET_ARN",
            Issuer("secret"),
            Secret("secretsManagerArn"),
        ),
        var(
            "JWT_SECRET_PARAMETER",
            Issuer("secret"),
            Secret("parameter"),
        ),
        var("JWT_CONTEXT_CLAIMS", Issuer("contextClaims"), List),
        var("JWT_ALLOW_ANONYMOUS", Issuer("allowAnonymous"), Bool),
        var("JWT_REQUIRED_AAL", Issuer("requiredAal"), Text),
        var("JWT_AUTHORIZED_PARTIES", Issuer("authorizedParties"), List),
        var("JWT_REQUIRE_SESSION", Issuer("requireSession"), Bool),
        var("JWT_TOKEN_USE", Issuer("tokenUse"), Text),
        var("JWT_CLIENT_IDS", Issuer("clientIds"), List),
        var("TOKEN_PREFIXES", Document("tokenPrefixes"), List),
        var("TOKEN_SUFFIXES", Document("tokenSuffixes"), List),
        var(
            "AUTH_CACHE_TTL_SECONDS",
            Document("cacheTtlSeconds"),
            Number,
        ),
        var(
            "VERIFIED_TOKEN_CACHE",
            Document("verifiedTokenCache"),
            Number,
        ),
    ]
};

impl Field {
    /// The field's name in the JSON document.
    fn name(self) -> &'static str {
        match self {
            Self::Issuer(name) | Self::Document(name) => name,
        }
    }

    /// The field's path in library errors (`issuers[0].jwksUrl`, `cacheTtlSeconds`).
    fn path(self) -> String {
        match self {
            Self::Issuer(name) => format!("issuers[0].{name}"),
            Self::Document(name) => name.to_owned(),
        }
    }

    /// The variables that set this field, as a user reads them (`A / B` for alternatives).
    fn variables(self) -> String {
        VARIABLES
            .iter()
            .filter(|v| v.field == self)
            .map(|v| v.name)
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

impl Variable {
    /// The variable's value as the field's JSON, `None` when unset.
    fn read(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Value>, ConfigError> {
        let Some(text) = env(self.name) else {
            return Ok(None);
        };
        let value = match self.kind {
            Kind::Text => Value::String(text),
            Kind::List => Value::from(list(&text)),
            Kind::Bool => Value::Bool(boolean(self.name, &text)?),
            Kind::Number => Value::from(number(self.name, &text)?),
            Kind::Secret(variant) => serde_json::json!({ variant: text }),
        };
        Ok(Some(value))
    }
}

impl Loaded {
    /// Turns a library error into one that names what a user would change: the variable
    /// that set the field, else the document (and the field in it). For configuration
    /// from variables, the fields the message quotes are named as variables too.
    pub fn name_error(&self, error: jwt_authz::Error) -> ConfigError {
        let jwt_authz::Error::Config { field, message } = error else {
            return invalid(self.source, error.to_string());
        };
        let from_variables = self.source == "environment";
        let set_by_variable =
            |f: Field| f.path() == field && (from_variables || self.filled.contains(&f.name()));
        let message = if from_variables {
            quoted_fields_as_variables(&message)
        } else {
            message
        };
        match VARIABLES.iter().find(|v| set_by_variable(v.field)) {
            Some(variable) => invalid(variable.field.variables(), message),
            None if from_variables => invalid(field, message),
            None => invalid(format!("{} ({field})", self.source), message),
        }
    }
}

/// `message` with each quoted field that variables set (`` `jwksUrl` ``) replaced by
/// their names.
fn quoted_fields_as_variables(message: &str) -> String {
    VARIABLES.iter().fold(message.to_owned(), |text, v| {
        text.replace(&format!("`{}`", v.field.name()), &v.field.variables())
    })
}

/// The HTTP client for key sets and AWS calls: the compiled-in Mozilla roots, plus the PEM
/// bundle at `EXTRA_CA_CERTS` when set (a private CA in front of an identity provider).
pub fn http_fetcher(env: &dyn Fn(&str) -> Option<String>) -> Result<HttpFetcher, ConfigError> {
    let extra = match env("EXTRA_CA_CERTS") {
        Some(path) => std::fs::read(&path)
            .map_err(|e| invalid("EXTRA_CA_CERTS", format!("cannot read {path:?}: {e}")))?,
        None => Vec::new(),
    };
    HttpFetcher::with_extra_roots(FetchLimits::default(), &extra)
        .map_err(|e| invalid("EXTRA_CA_CERTS", e.to_string()))
}

/// The AWS client for this environment, over `http`. Missing credentials stop the cold
/// start: they will not appear later, and a secret that can never be read is a
/// configuration error, not an outage.
fn aws_client(
    env: &dyn Fn(&str) -> Option<String>,
    http: &reqwest::Client,
) -> Result<aws_call::Client, ConfigError> {
    let settings = aws_call::Settings::from_env(env)
        .map_err(|e| invalid("AWS_ENDPOINT_URL", e.to_string()))?;
    if let aws_call::CredentialSource::Missing(why) = &settings.credentials {
        return Err(invalid(
            "AWS_ACCESS_KEY_ID",
            aws_call::Error::NoCredentials(why.clone()).to_string(),
        ));
    }
    Ok(aws_call::Client::new(http.clone(), settings))
}

/// Loads the configuration from `env` (and, for `AUTHORIZER_CONFIG_PARAMETER`, from SSM
/// over `http`).
pub async fn load(
    env: &dyn Fn(&str) -> Option<String>,
    http: &reqwest::Client,
) -> Result<Loaded, ConfigError> {
    let documents: Vec<&str> = DOCUMENT_SOURCES
        .into_iter()
        .filter(|v| env(v).is_some())
        .collect();
    // Built at most once: for the SSM document and/or a secret in Secrets Manager or SSM.
    let mut aws: Option<aws_call::Client> = None;
    let (mut document, source) = match documents.as_slice() {
        [] => (from_flat(env)?, "environment"),
        [source] => {
            if let Some(v) = VARIABLES
                .iter()
                .find(|v| matches!(v.field, Field::Issuer(_)) && env(v.name).is_some())
            {
                return Err(invalid(
                    v.name,
                    format!("set next to {source}: put it in the JSON document instead"),
                ));
            }
            let text = match *source {
                "AUTHORIZER_CONFIG" => env(source).unwrap_or_default(),
                "AUTHORIZER_CONFIG_FILE" => {
                    let path = env(source).unwrap_or_default();
                    std::fs::read_to_string(&path)
                        .map_err(|e| invalid(*source, format!("cannot read {path:?}: {e}")))?
                }
                _ => {
                    let name = env(source).unwrap_or_default();
                    aws.insert(aws_client(env, http)?)
                        .get_parameter(&name)
                        .await
                        .map_err(|e| invalid(*source, e.to_string()))?
                }
            };
            // Typed first, so that an error points into the text (line and column).
            let invalid_json =
                |e: serde_json::Error| invalid(*source, format!("invalid JSON document: {e}"));
            serde_json::from_str::<AuthorizerConfig>(&text).map_err(invalid_json)?;
            let document: Map<String, Value> = serde_json::from_str(&text).map_err(invalid_json)?;
            (document, *source)
        }
        many => return Err(invalid(many.join(", "), "set only one of these")),
    };
    // Top-level fields the document leaves unset (absent, null or an empty list) come from
    // their variables.
    let mut filled = Vec::new();
    for variable in &VARIABLES {
        let Field::Document(name) = variable.field else {
            continue;
        };
        let unset = match document.get(name) {
            None | Some(Value::Null) => true,
            Some(Value::Array(items)) => items.is_empty(),
            Some(_) => false,
        };
        if !unset {
            continue;
        }
        if let Some(value) = variable.read(env)? {
            document.insert(name.to_owned(), value);
            filled.push(name);
        }
    }
    let config: AuthorizerConfig = serde_json::from_value(Value::Object(document))
        .map_err(|e| invalid(source, format!("invalid configuration: {e}")))?;
    let needs_aws = config.issuers.iter().any(|i| {
        matches!(
            i.secret,
            Some(SecretRef::SecretsManagerArn(_) | SecretRef::Parameter(_))
        )
    });
    let aws = match aws {
        Some(client) if needs_aws => Some(client),
        None if needs_aws => Some(aws_client(env, http)?),
        _ => None,
    };
    Ok(Loaded {
        config,
        source,
        filled,
        aws,
        jwks_policy: jwks_policy(env)?,
    })
}

/// `JWKS_MAX_AGE_SECONDS` (default 600; Supabase asks for at most 1200),
/// `JWKS_STALE_IF_ERROR_SECONDS` (3600) and `JWKS_UNKNOWN_KID_COOLDOWN_SECONDS` (10).
fn jwks_policy(env: &dyn Fn(&str) -> Option<String>) -> Result<JwksPolicy, ConfigError> {
    let defaults = JwksPolicy::default();
    let seconds =
        |name: &str, default: Duration, min: u64, max: u64| -> Result<Duration, ConfigError> {
            match env(name).map(|text| number(name, &text)).transpose()? {
                None => Ok(default),
                Some(v) if (min..=max).contains(&v) => Ok(Duration::from_secs(v)),
                Some(v) => Err(invalid(
                    name,
                    format!("{v} is outside {min}..={max} seconds"),
                )),
            }
        };
    Ok(JwksPolicy {
        max_age: seconds("JWKS_MAX_AGE_SECONDS", defaults.max_age, 1, 86_400)?,
        stale_if_error: seconds(
            "JWKS_STALE_IF_ERROR_SECONDS",
            defaults.stale_if_error,
            0,
            86_400,
        )?,
        unknown_kid_cooldown: seconds(
            "JWKS_UNKNOWN_KID_COOLDOWN_SECONDS",
            defaults.unknown_kid_cooldown,
            1,
            3600,
        )?,
        ..defaults
    })
}

/// Default of `METRICS_NAMESPACE`.
pub const DEFAULT_METRICS_NAMESPACE: &str = "AppSyncJwtAuth";

/// The metrics settings: `METRICS_ENABLED` (default `false`) and `METRICS_NAMESPACE`
/// (default [`DEFAULT_METRICS_NAMESPACE`]); the function name dimension is
/// `AWS_LAMBDA_FUNCTION_NAME`. `None` when metrics are off.
pub fn metrics(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(cloudwatch_emf::Namespace, String)>, ConfigError> {
    let enabled = env("METRICS_ENABLED")
        .map(|text| boolean("METRICS_ENABLED", &text))
        .transpose()?;
    if !enabled.unwrap_or(false) {
        return Ok(None);
    }
    let name = env("METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned());
    let namespace = cloudwatch_emf::Namespace::new(name.trim())
        .map_err(|e| invalid("METRICS_NAMESPACE", e.to_string()))?;
    let function = env("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "authorizer".to_owned());
    Ok(Some((namespace, function)))
}

/// The document the flat variables describe: one issuer, from the issuer fields of
/// [`VARIABLES`].
fn from_flat(env: &dyn Fn(&str) -> Option<String>) -> Result<Map<String, Value>, ConfigError> {
    if env("JWT_ISSUER").is_none() {
        return Err(invalid(
            "JWT_ISSUER",
            "is required (e.g. https://<project-ref>.supabase.co/auth/v1), or configure issuers with AUTHORIZER_CONFIG / AUTHORIZER_CONFIG_FILE / AUTHORIZER_CONFIG_PARAMETER",
        ));
    }
    let mut issuer = Map::new();
    for variable in &VARIABLES {
        let Field::Issuer(name) = variable.field else {
            continue;
        };
        let Some(value) = variable.read(env)? else {
            continue;
        };
        if issuer.insert(name.to_owned(), value).is_some() {
            return Err(invalid(variable.field.variables(), "set at most one"));
        }
    }
    let mut document = Map::new();
    document.insert(
        "issuers".to_owned(),
        Value::Array(vec![Value::Object(issuer)]),
    );
    Ok(document)
}

/// A comma-separated list; items trimmed, empty items dropped.
fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(name: &str, text: &str) -> Result<u64, ConfigError> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| invalid(name, format!("{text:?} is not a non-negative whole number")))
}

fn boolean(name: &str, text: &str) -> Result<bool, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(name, format!("{text:?} is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| map.get(name).cloned().filter(|v| !v.trim().is_empty())
    }

    async fn load_with(pairs: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
        load(&env_of(pairs), &reqwest::Client::new()).await
    }

    #[tokio::test]
    async fn flat_variables_make_one_issuer() {
        let loaded = load_with(&[
            ("JWT_ISSUER", "https://x.supabase.co/auth/v1"),
            ("JWT_AUDIENCE", "authenticated, other"),
            ("TOKEN_PREFIXES", "supabase:,Token "),
            ("AUTH_CACHE_TTL_SECONDS", "60"),
            ("VERIFIED_TOKEN_CACHE", "64"),
        ])
        .await
        .expect("loads");
        assert_eq!(loaded.config.verified_token_cache, Some(64));
        let issuer = &loaded.config.issuers[0];
        assert_eq!(
            issuer.audience.as_deref(),
            Some(&["authenticated".to_owned(), "other".to_owned()][..])
        );
        assert_eq!(loaded.config.token_prefixes, ["supabase:", "Token"]);
        assert_eq!(loaded.config.cache_ttl_seconds, Some(60));
        assert!(loaded.aws.is_none());
    }

    #[tokio::test]
    async fn jwks_policy_variables_are_read_and_bounded() {
        let loaded = load_with(&[
            ("JWT_ISSUER", "i"),
            ("JWKS_MAX_AGE_SECONDS", "60"),
            ("JWKS_STALE_IF_ERROR_SECONDS", "0"),
        ])
        .await
        .expect("loads");
        assert_eq!(loaded.jwks_policy.max_age, Duration::from_secs(60));
        assert_eq!(loaded.jwks_policy.stale_if_error, Duration::ZERO);
        assert_eq!(
            loaded.jwks_policy.unknown_kid_cooldown,
            JwksPolicy::default().unknown_kid_cooldown
        );
        let err = load_with(&[("JWT_ISSUER", "i"), ("JWKS_MAX_AGE_SECONDS", "0")])
            .await
            .expect_err("zero")
            .to_string();
        assert!(err.starts_with("JWKS_MAX_AGE_SECONDS:"), "{err}");
    }

    #[test]
    fn metrics_are_off_unless_enabled_and_the_namespace_is_checked() {
        assert!(metrics(&env_of(&[])).expect("ok").is_none());
        assert!(
            metrics(&env_of(&[
                ("METRICS_ENABLED", "false"),
                ("METRICS_NAMESPACE", "X")
            ]))
            .expect("ok")
            .is_none()
        );
        let (namespace, function) = metrics(&env_of(&[
            ("METRICS_ENABLED", "true"),
            ("AWS_LAMBDA_FUNCTION_NAME", "stack-Authorizer-1"),
        ]))
        .expect("ok")
        .expect("on");
        assert_eq!(namespace.as_str(), DEFAULT_METRICS_NAMESPACE);
        assert_eq!(function, "stack-Authorizer-1");
        let err = metrics(&env_of(&[
            ("METRICS_ENABLED", "true"),
            ("METRICS_NAMESPACE", "bad\"name"),
        ]))
        .expect_err("bad namespace")
        .to_string();
        assert!(err.starts_with("METRICS_NAMESPACE:"), "{err}");
    }

    #[tokio::test]
    async fn missing_issuer_names_the_variable() {
        let err = load_with(&[]).await.expect_err("no issuer").to_string();
        assert!(err.starts_with("JWT_ISSUER:"), "{err}");
    }

    #[tokio::test]
    async fn bad_numbers_and_booleans_name_the_variable() {
        let err = load_with(&[("JWT_ISSUER", "i"), ("JWT_LEEWAY_SECONDS", "ten")])
            .await
            .expect_err("bad")
            .to_string();
        assert!(err.starts_with("JWT_LEEWAY_SECONDS:"), "{err}");
        let err = load_with(&[("JWT_ISSUER", "i"), ("JWT_ALLOW_ANONYMOUS", "maybe")])
            .await
            .expect_err("bad")
            .to_string();
        assert!(err.starts_with("JWT_ALLOW_ANONYMOUS:"), "{err}");
    }

    #[tokio::test]
    async fn two_secret_sources_are_refused() {
        let err = load_with(&[
            ("JWT_ISSUER", "i"),
            ("JWT_SECRET", "s"),
            ("JWT_SECRET_ARN", "arn:x"),
        ])
        .await
        .expect_err("two secrets")
        .to_string();
        assert!(err.contains("at most one"), "{err}");
    }

    #[tokio::test]
    async fn document_and_flat_variables_are_not_mixed() {
        let err = load_with(&[
            ("AUTHORIZER_CONFIG", r#"{"issuers":[]}"#),
            ("JWT_ISSUER", "i"),
        ])
        .await
        .expect_err("mixed")
        .to_string();
        assert!(err.starts_with("JWT_ISSUER:"), "{err}");
    }

    #[tokio::test]
    async fn document_from_a_file_is_read_and_env_fills_gaps() {
        let path =
            std::env::temp_dir().join(format!("authorizer-config-{}.json", std::process::id()));
        std::fs::write(
            &path,
            r#"{"issuers":[{"issuer":"https://a.example/"}],"cacheTtlSeconds":10}"#,
        )
        .expect("write");
        let loaded = load_with(&[
            ("AUTHORIZER_CONFIG_FILE", path.to_str().expect("utf-8")),
            ("AUTH_CACHE_TTL_SECONDS", "99"),
            ("TOKEN_PREFIXES", "p:"),
        ])
        .await
        .expect("loads");
        std::fs::remove_file(&path).ok();
        assert_eq!(loaded.source, "AUTHORIZER_CONFIG_FILE");
        assert_eq!(loaded.config.cache_ttl_seconds, Some(10));
        assert_eq!(loaded.config.token_prefixes, ["p:"]);
    }

    #[tokio::test]
    async fn invalid_json_names_its_source() {
        let err = load_with(&[("AUTHORIZER_CONFIG", "{nope")])
            .await
            .expect_err("bad json")
            .to_string();
        assert!(err.starts_with("AUTHORIZER_CONFIG:"), "{err}");
    }

    #[tokio::test]
    async fn library_errors_are_renamed_to_variables() {
        let loaded = load_with(&[("JWT_ISSUER", "i")]).await.expect("loads");
        let named = loaded
            .name_error(jwt_authz::Error::config(
                "issuers[0].audience",
                "is required",
            ))
            .to_string();
        assert_eq!(named, "JWT_AUDIENCE: is required");
        let named = loaded
            .name_error(jwt_authz::Error::config("verifiedTokenCache", "too big"))
            .to_string();
        assert_eq!(named, "VERIFIED_TOKEN_CACHE: too big");
        let named = loaded
            .name_error(jwt_authz::Error::config(
                "issuers[0].algorithms",
                "set `jwksUrl` too, or remove `secret`",
            ))
            .to_string();
        assert_eq!(
            named,
            "JWT_ALGORITHMS: set JWT_JWKS_URL too, or remove JWT_SECRET / JWT_SECRET_ARN / JWT_SECRET_PARAMETER"
        );
    }

    /// A value each kind of variable accepts.
    fn sample(kind: Kind) -> &'static str {
        match kind {
            Kind::Text | Kind::List | Kind::Secret(_) => "a",
            Kind::Bool => "true",
            Kind::Number => "5",
        }
    }

    #[tokio::test]
    async fn every_variable_sets_its_field_and_is_named_back() {
        for variable in &VARIABLES {
            let mut env = vec![(variable.name, sample(variable.kind))];
            if variable.name != "JWT_ISSUER" {
                env.push(("JWT_ISSUER", "i"));
            }
            // A secret in Secrets Manager or SSM needs credentials (never used here).
            env.extend([
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "example"),
            ]);
            // The document's field names are checked by deserializing (unknown fields
            // are refused), so a misspelt field in the table fails here.
            let loaded = load_with(&env)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", variable.name));
            let named = loaded
                .name_error(jwt_authz::Error::config(variable.field.path(), "m"))
                .to_string();
            let (names, message) = named.split_once(": ").expect("variable: message");
            assert!(
                names.split(" / ").any(|n| n == variable.name),
                "{} named as {names}",
                variable.name
            );
            assert_eq!(message, "m");
        }
    }

    #[tokio::test]
    async fn a_document_field_filled_from_a_variable_is_named_as_the_variable() {
        let document = r#"{"issuers":[{"issuer":"https://a.example/"}]}"#;
        for variable in VARIABLES
            .iter()
            .filter(|v| matches!(v.field, Field::Document(_)))
        {
            let loaded = load_with(&[
                ("AUTHORIZER_CONFIG", document),
                (variable.name, sample(variable.kind)),
            ])
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", variable.name));
            let named = loaded
                .name_error(jwt_authz::Error::config(variable.field.path(), "m"))
                .to_string();
            assert_eq!(named, format!("{}: m", variable.name));
        }
        let loaded = load_with(&[("AUTHORIZER_CONFIG", document)])
            .await
            .expect("loads");
        let named = loaded
            .name_error(jwt_authz::Error::config("cacheTtlSeconds", "m"))
            .to_string();
        assert_eq!(named, "AUTHORIZER_CONFIG (cacheTtlSeconds): m");
    }

    #[tokio::test]
    async fn a_library_refusal_at_cold_start_names_the_variables() {
        let loaded = load_with(&[
            ("JWT_ISSUER", "https://x.auth0.com/"),
            ("JWT_PROFILE", "auth0"),
        ])
        .await
        .expect("loads");
        let deps = jwt_authz::Dependencies {
            fetcher: std::sync::Arc::new(HttpFetcher::new(FetchLimits::default()).expect("client")),
            secrets: std::sync::Arc::new(jwt_authz::NoSecretStore),
            jwks_policy: JwksPolicy::default(),
        };
        let error = jwt_authz::Authorizer::new(&loaded.config, &deps).expect_err("no audience");
        let named = loaded.name_error(error).to_string();
        assert!(named.starts_with("JWT_AUDIENCE: is required"), "{named}");
        assert!(named.contains("JWT_ALLOW_ANY_AUDIENCE"), "{named}");
    }
}
