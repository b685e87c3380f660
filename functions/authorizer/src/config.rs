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

use jwt_authz::fetch::{FetchLimits, HttpFetcher};
use jwt_authz::jwks::JwksPolicy;
use jwt_authz::{AuthorizerConfig, IssuerConfig, SecretRef};

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

/// Flat variables, and the JSON field of the first issuer each one sets.
const FLAT: [(&str, &str); 17] = [
    ("JWT_ISSUER", "issuer"),
    ("JWT_PROFILE", "profile"),
    ("JWT_AUDIENCE", "audience"),
    ("JWT_ALLOW_ANY_AUDIENCE", "allowAnyAudience"),
    ("JWT_JWKS_URL", "jwksUrl"),
    ("JWT_ALGORITHMS", "algorithms"),
    ("JWT_LEEWAY_SECONDS", "leewaySeconds"),
    ("JWT_SECRET", "secret"),
    ("JWT_SECRET_ARN", "secret"),
    ("JWT_SECRET_PARAMETER", "secret"),
    ("JWT_CONTEXT_CLAIMS", "contextClaims"),
    ("JWT_ALLOW_ANONYMOUS", "allowAnonymous"),
    ("JWT_REQUIRED_AAL", "requiredAal"),
    ("JWT_AUTHORIZED_PARTIES", "authorizedParties"),
    ("JWT_REQUIRE_SESSION", "requireSession"),
    ("JWT_TOKEN_USE", "tokenUse"),
    ("JWT_CLIENT_IDS", "clientIds"),
];

impl Loaded {
    /// Turns a library error into one that names the variable a user would change.
    pub fn name_error(&self, error: jwt_authz::Error) -> ConfigError {
        let jwt_authz::Error::Config { field, message } = error else {
            return invalid(self.source, error.to_string());
        };
        if self.source != "environment" {
            return invalid(format!("{} ({field})", self.source), message);
        }
        let variable = match field.strip_prefix("issuers[0].") {
            Some("secret") => "JWT_SECRET / JWT_SECRET_ARN / JWT_SECRET_PARAMETER".to_owned(),
            Some(name) => FLAT
                .iter()
                .find(|(_, f)| *f == name)
                .map_or(field.clone(), |(v, _)| (*v).to_owned()),
            None if field == "issuers" => "JWT_ISSUER".to_owned(),
            None if field == "cacheTtlSeconds" => "AUTH_CACHE_TTL_SECONDS".to_owned(),
            None if field == "verifiedTokenCache" => "VERIFIED_TOKEN_CACHE".to_owned(),
            None => field.clone(),
        };
        invalid(variable, message)
    }
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
    let (mut config, source) = match documents.as_slice() {
        [] => (from_flat(env)?, "environment"),
        [source] => {
            if let Some((var, _)) = FLAT.iter().find(|(v, _)| env(v).is_some()) {
                return Err(invalid(
                    *var,
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
            let config: AuthorizerConfig = serde_json::from_str(&text)
                .map_err(|e| invalid(*source, format!("invalid JSON document: {e}")))?;
            (config, *source)
        }
        many => return Err(invalid(many.join(", "), "set only one of these")),
    };
    if config.token_prefixes.is_empty() {
        config.token_prefixes = list(env, "TOKEN_PREFIXES");
    }
    if config.token_suffixes.is_empty() {
        config.token_suffixes = list(env, "TOKEN_SUFFIXES");
    }
    if config.cache_ttl_seconds.is_none() {
        config.cache_ttl_seconds = number(env, "AUTH_CACHE_TTL_SECONDS")?;
    }
    if config.verified_token_cache.is_none() {
        config.verified_token_cache =
            number(env, "VERIFIED_TOKEN_CACHE")?.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    }
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
            match number(env, name)? {
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
    if !boolean(env, "METRICS_ENABLED")?.unwrap_or(false) {
        return Ok(None);
    }
    let name = env("METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned());
    let namespace = cloudwatch_emf::Namespace::new(name.trim())
        .map_err(|e| invalid("METRICS_NAMESPACE", e.to_string()))?;
    let function = env("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "authorizer".to_owned());
    Ok(Some((namespace, function)))
}

fn from_flat(env: &dyn Fn(&str) -> Option<String>) -> Result<AuthorizerConfig, ConfigError> {
    let Some(issuer) = env("JWT_ISSUER") else {
        return Err(invalid(
            "JWT_ISSUER",
            "is required (e.g. https://<project-ref>.supabase.co/auth/v1), or configure issuers with AUTHORIZER_CONFIG / AUTHORIZER_CONFIG_FILE / AUTHORIZER_CONFIG_PARAMETER",
        ));
    };
    let secrets: Vec<SecretRef> = [
        env("JWT_SECRET").map(SecretRef::Value),
        env("JWT_SECRET_ARN").map(SecretRef::SecretsManagerArn),
        env("JWT_SECRET_PARAMETER").map(SecretRef::Parameter),
    ]
    .into_iter()
    .flatten()
    .collect();
    if secrets.len() > 1 {
        return Err(invalid(
            "JWT_SECRET / JWT_SECRET_ARN / JWT_SECRET_PARAMETER",
            "set at most one",
        ));
    }
    let issuer = IssuerConfig {
        issuer,
        profile: env("JWT_PROFILE"),
        audience: env("JWT_AUDIENCE").map(|_| list(env, "JWT_AUDIENCE")),
        allow_any_audience: boolean(env, "JWT_ALLOW_ANY_AUDIENCE")?.unwrap_or(false),
        jwks_url: env("JWT_JWKS_URL"),
        algorithms: env("JWT_ALGORITHMS").map(|_| list(env, "JWT_ALGORITHMS")),
        leeway_seconds: number(env, "JWT_LEEWAY_SECONDS")?,
        secret: secrets.into_iter().next(),
        context_claims: list(env, "JWT_CONTEXT_CLAIMS"),
        allow_anonymous: boolean(env, "JWT_ALLOW_ANONYMOUS")?,
        required_aal: env("JWT_REQUIRED_AAL"),
        authorized_parties: list(env, "JWT_AUTHORIZED_PARTIES"),
        require_session: boolean(env, "JWT_REQUIRE_SESSION")?,
        token_use: env("JWT_TOKEN_USE"),
        client_ids: list(env, "JWT_CLIENT_IDS"),
    };
    Ok(AuthorizerConfig {
        issuers: vec![issuer],
        ..AuthorizerConfig::default()
    })
}

/// A comma-separated list; items trimmed, empty items dropped.
fn list(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Vec<String> {
    env(name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn number(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<Option<u64>, ConfigError> {
    env(name)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| invalid(name, format!("{v:?} is not a non-negative whole number")))
        })
        .transpose()
}

fn boolean(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<Option<bool>, ConfigError> {
    env(name)
        .map(|v| match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(invalid(name, format!("{v:?} is not true or false"))),
        })
        .transpose()
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
    }
}
