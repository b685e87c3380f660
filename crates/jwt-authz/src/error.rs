//! The crate's error type: configuration and infrastructure failures.
//!
//! A rejected *token* is not an error: it is a [`Denial`](crate::Denial) carried in a
//! decision. Errors here are what stops a cold start (bad configuration) or what an
//! infrastructure dependency (JWKS endpoint, secret store) reported.

use crate::rules::RuleError;

/// Configuration and infrastructure errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is invalid; `field` names the setting as a path into
    /// [`AuthorizerConfig`](crate::AuthorizerConfig)'s JSON form, such as
    /// `issuers[1].audience` or `cacheTtlSeconds`, and `message` quotes any other field it
    /// mentions in backticks (`` `jwksUrl` ``), so a caller that reads settings from
    /// elsewhere can name its own.
    #[error("{field}: {message}")]
    Config {
        /// The setting at fault.
        field: String,
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A channel or GraphQL rule does not compile.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// Fetching a key set or discovery document failed.
    #[error("fetching {url} failed: {message}")]
    Fetch {
        /// The URL (never carries credentials: JWKS and discovery URLs are public).
        url: String,
        /// Why, without response bodies.
        message: String,
    },
    /// A fetched document is not what it should be.
    #[error("{url}: {message}")]
    Document {
        /// Where it came from.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The shared secret could not be obtained.
    #[error("shared secret unavailable: {0}")]
    Secret(String),
}

impl Error {
    /// A configuration error for `field`.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config {
            field: field.into(),
            message: message.into(),
        }
    }
}
