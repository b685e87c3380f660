//! Where the signing credentials come from.
//!
//! Lambda hands a function its execution role's credentials in `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; that is the first source. Environments
//! that serve role credentials over HTTP instead (containers, and whatever a future Lambda
//! execution model uses) set `AWS_CONTAINER_CREDENTIALS_FULL_URI` or
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`; that is the second, fetched per call because
//! calls are rare (init and secret retries) and the credentials rotate. Profiles, SSO and
//! instance metadata are deliberately not supported: they are what the AWS SDK is for, and
//! the authorizer does not carry it.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use aws_credential_types::Credentials;
use outbound_http::describe;
use serde::Deserialize;
use url::Url;

use crate::Error;

/// The host ECS-style relative URIs are resolved against.
const CONTAINER_HOST: &str = "http://169.254.170.2";
/// How long the container endpoint may take.
const CONTAINER_TIMEOUT: Duration = Duration::from_millis(500);

/// A source of credentials, decided once from the environment.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Static credentials (in Lambda: the execution role's, from the environment).
    Static(Credentials),
    /// A container credentials endpoint, asked on every call.
    Container {
        /// The endpoint.
        url: Url,
        /// The `Authorization` header value to send, if any.
        authorization: Option<String>,
    },
    /// None found; calls fail with this explanation.
    Missing(String),
}

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(_) => f.write_str("Static(<redacted>)"),
            Self::Container { url, .. } => f
                .debug_struct("Container")
                .field("url", &url.as_str())
                .finish_non_exhaustive(),
            Self::Missing(why) => f.debug_tuple("Missing").field(why).finish(),
        }
    }
}

impl CredentialSource {
    /// Reads the standard variables through `env`.
    ///
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` is read here, once.
    #[must_use]
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let non_empty = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        match (
            non_empty("AWS_ACCESS_KEY_ID"),
            non_empty("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => {
                return Self::Static(Credentials::new(
                    id,
                    secret,
                    non_empty("AWS_SESSION_TOKEN"),
                    None,
                    "environment",
                ));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Self::Missing(
                    "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set".to_owned(),
                );
            }
            (None, None) => {}
        }
        let url = if let Some(full) = non_empty("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            full
        } else if let Some(relative) = non_empty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            format!("{CONTAINER_HOST}{relative}")
        } else {
            return Self::Missing(
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set and no container \
                 credentials endpoint is configured"
                    .to_owned(),
            );
        };
        let url = match container_url(&url) {
            Ok(url) => url,
            Err(reason) => return Self::Missing(reason),
        };
        let authorization = match non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(token) => Some(token.trim().to_owned()),
                Err(e) => {
                    return Self::Missing(format!(
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {path:?} cannot be read: {e}"
                    ));
                }
            },
            None => non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        };
        Self::Container { url, authorization }
    }

    /// The credentials to sign the next request with.
    ///
    /// # Errors
    /// [`Error::NoCredentials`] when none were found, [`Error::ContainerCredentials`] when
    /// the container endpoint fails.
    pub async fn resolve(&self, http: &reqwest::Client) -> Result<Credentials, Error> {
        match self {
            Self::Static(credentials) => Ok(credentials.clone()),
            Self::Missing(why) => Err(Error::NoCredentials(why.clone())),
            Self::Container { url, authorization } => {
                fetch_container(http, url, authorization.as_deref()).await
            }
        }
    }
}

/// A container endpoint must be https, or http to a loopback or the ECS/EKS link-local
/// addresses: credentials must not travel in clear text over a network.
fn container_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value)
        .map_err(|e| format!("container credentials URI {value:?} is not a URL: {e}"))?;
    let allowed_http = url.host().is_some_and(|host| {
        outbound_http::is_loopback(&host)
            || match host {
                url::Host::Ipv4(ip) => {
                    ip == Ipv4Addr::new(169, 254, 170, 2) || ip == Ipv4Addr::new(169, 254, 170, 23)
                }
                url::Host::Ipv6(ip) => ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x23),
                url::Host::Domain(_) => false,
            }
    });
    match url.scheme() {
        "https" => Ok(url),
        "http" if allowed_http => Ok(url),
        _ => Err(format!(
            "container credentials URI {value:?} must be https, or http to a loopback or \
             link-local credentials address"
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
}

async fn fetch_container(
    http: &reqwest::Client,
    url: &Url,
    authorization: Option<&str>,
) -> Result<Credentials, Error> {
    let fail = |message: String| Error::ContainerCredentials(message);
    let mut request = http.get(url.clone()).timeout(CONTAINER_TIMEOUT);
    if let Some(value) = authorization {
        let mut value = http::HeaderValue::from_str(value)
            .map_err(|_| fail("the authorization token is not a valid header value".into()))?;
        value.set_sensitive(true);
        request = request.header(http::header::AUTHORIZATION, value);
    }
    let response = request.send().await.map_err(|e| fail(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("HTTP {status}")));
    }
    let body = response.bytes().await.map_err(|e| fail(describe(&e)))?;
    let parsed: ContainerCredentials = serde_json::from_slice(&body)
        .map_err(|e| fail(format!("not a credentials document: {e}")))?;
    Ok(Credentials::new(
        parsed.access_key_id,
        parsed.secret_access_key,
        parsed.token,
        None,
        "container",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(vars: &[(&str, &str)]) -> CredentialSource {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        CredentialSource::from_env(&move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn lambda_environment_credentials_are_used() {
        let s = source(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ]);
        let CredentialSource::Static(c) = s else {
            panic!("static expected");
        };
        assert_eq!(c.access_key_id(), "AKID");
        assert_eq!(c.session_token(), Some("token"));
    }

    #[test]
    fn half_a_key_pair_is_explained() {
        let s = source(&[("AWS_ACCESS_KEY_ID", "AKID")]);
        assert!(matches!(s, CredentialSource::Missing(ref why) if why.contains("only one")));
    }

    #[test]
    fn nothing_configured_is_explained() {
        assert!(matches!(source(&[]), CredentialSource::Missing(_)));
    }

    #[test]
    fn container_uris_must_not_leave_the_host_in_clear_text() {
        let ok = [
            "http://127.0.0.1:9000/creds",
            "http://169.254.170.2/v2/credentials/x",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://localhost:1234/",
            "https://creds.example.com/",
        ];
        for uri in ok {
            assert!(container_url(uri).is_ok(), "{uri}");
        }
        for uri in [
            "http://creds.example.com/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
        ] {
            assert!(container_url(uri).is_err(), "{uri}");
        }
    }

    #[test]
    fn relative_uri_resolves_against_the_ecs_address() {
        let s = source(&[(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/abc",
        )]);
        let CredentialSource::Container { url, authorization } = s else {
            panic!("container expected");
        };
        assert_eq!(url.as_str(), "http://169.254.170.2/v2/credentials/abc");
        assert_eq!(authorization, None);
    }

    #[test]
    fn debug_never_shows_keys() {
        let s = source(&[
            ("AWS_ACCESS_KEY_ID", "AKIDVISIBLE"),
            ("AWS_SECRET_ACCESS_KEY", "secretvisible"),
        ]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("AKIDVISIBLE") && !shown.contains("secretvisible"));
    }
}
