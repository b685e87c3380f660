//! The AppSync Events HTTP endpoint: parsing `EVENTS_ENDPOINT`-style values.
//!
//! Accepted forms:
//! - a bare domain, `<id>.appsync-api.<region>.amazonaws.com` or a custom domain (optionally
//!   with `:port`) → `https://<domain>/event`;
//! - a full URL, `https://<domain>[:port][/|/event]`.
//!
//! Plain `http://` is allowed only for loopback hosts (`127.0.0.0/8`, `::1`, `localhost`),
//! for local development: anything else would send signed requests, and the session token
//! they carry, in clear text. [`Endpoint::is_development_host`] names the hosts for which
//! a development CA may be trusted (loopback and `host.docker.internal`). Any other path (`/graphql`, `/event/realtime`) is refused
//! rather than silently rewritten, because it means the value names the wrong endpoint.

use std::fmt;

use outbound_http::is_loopback;
use url::{Host, Url};

use crate::error::PublishError;

/// The only path the Events HTTP API serves ("Publishing is the only supported action").
pub(crate) const PUBLISH_PATH: &str = "/event";

/// The name Docker gives a container for the machine it runs on (Docker Desktop defines
/// it; on Linux `--add-host host.docker.internal:host-gateway` does): how a function under
/// `sam local invoke` reaches a development endpoint on that machine.
pub(crate) const CONTAINER_HOST_NAME: &str = "host.docker.internal";

/// A validated publish endpoint: the URL requests are sent to and the `Host` they are
/// signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
    host_header: String,
}

impl Endpoint {
    /// Parses a bare domain or a full URL into the `…/event` endpoint.
    ///
    /// # Errors
    /// [`PublishError::InvalidEndpoint`] naming what is wrong (empty, unparseable, a scheme
    /// other than `https`, `http` off loopback, credentials/query/fragment in the URL, or a
    /// path other than `/` or `/event`).
    pub fn parse(value: &str) -> Result<Self, PublishError> {
        let value = value.trim();
        let invalid = |reason: &str| PublishError::InvalidEndpoint {
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        if value.is_empty() {
            return Err(invalid("it is empty"));
        }
        let with_scheme = if value.contains("://") {
            value.to_owned()
        } else {
            format!("https://{value}")
        };
        let mut url = Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
        let host = url.host().ok_or_else(|| invalid("it has no host"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(invalid(
                    "plain http is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost); use https",
                ));
            }
            other => return Err(invalid(&format!("scheme {other:?} is not https"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain credentials"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment"));
        }
        match url.path() {
            "" | "/" | "/event" | "/event/" => url.set_path(PUBLISH_PATH),
            other => {
                return Err(invalid(&format!(
                    "path {other:?} is not the publish path {PUBLISH_PATH:?} (is this the GraphQL or realtime URL?)"
                )));
            }
        }
        let host_header = aws_call::host_header(&url).ok_or_else(|| invalid("it has no host"))?;
        Ok(Self { url, host_header })
    }

    /// The URL requests are posted to (path always `/event`).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host name, without port (used for region detection and logs).
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The `Host` header value: the host, plus `:port` when the port is not the scheme's
    /// default. Signed and sent as-is, so the signature always covers the host the request
    /// actually goes to.
    pub fn host_header(&self) -> &str {
        &self.host_header
    }

    /// Whether the host is this machine as seen by a developer or their containers:
    /// loopback (`127.0.0.0/8`, `::1`, `localhost`) or [`CONTAINER_HOST_NAME`]. Only for
    /// such hosts does [`PublisherSettings::development_ca_pem`] apply; no AppSync endpoint
    /// is one of them.
    ///
    /// [`PublisherSettings::development_ca_pem`]: crate::PublisherSettings::development_ca_pem
    pub fn is_development_host(&self) -> bool {
        match self.url.host() {
            Some(Host::Domain(name)) if name.eq_ignore_ascii_case(CONTAINER_HOST_NAME) => true,
            Some(host) => is_loopback(&host),
            None => false,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> Endpoint {
        Endpoint::parse(value).unwrap_or_else(|e| panic!("{value}: {e}"))
    }

    fn refused(value: &str) -> String {
        match Endpoint::parse(value) {
            Ok(e) => panic!("{value} should be refused, got {e}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bare_domain_becomes_https_event_url() {
        let e = parsed("abc.appsync-api.eu-west-1.amazonaws.com");
        assert_eq!(
            e.url().as_str(),
            "https://abc.appsync-api.eu-west-1.amazonaws.com/event"
        );
        assert_eq!(e.host(), "abc.appsync-api.eu-west-1.amazonaws.com");
        assert_eq!(e.host_header(), "abc.appsync-api.eu-west-1.amazonaws.com");
    }

    #[test]
    fn full_urls_are_normalised_to_the_event_path() {
        for value in [
            "https://events.example.com",
            "https://events.example.com/",
            "https://events.example.com/event",
            "https://events.example.com/event/",
            "  https://events.example.com/event  ",
        ] {
            assert_eq!(
                parsed(value).url().as_str(),
                "https://events.example.com/event"
            );
        }
    }

    #[test]
    fn non_default_port_is_part_of_the_signed_host() {
        assert_eq!(
            parsed("events.example.com:8443").host_header(),
            "events.example.com:8443"
        );
        assert_eq!(
            parsed("https://events.example.com:443").host_header(),
            "events.example.com"
        );
        assert_eq!(
            parsed("http://127.0.0.1:9000").host_header(),
            "127.0.0.1:9000"
        );
        assert_eq!(
            parsed("http://[::1]:9000/event").host_header(),
            "[::1]:9000"
        );
    }

    #[test]
    fn plain_http_is_allowed_only_on_loopback() {
        for value in [
            "http://127.0.0.1:1234",
            "http://127.9.8.7/event",
            "http://localhost:80",
            "http://LOCALHOST",
            "http://[::1]",
        ] {
            assert_eq!(parsed(value).url().scheme(), "http", "{value}");
        }
        for value in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "http://128.0.0.1",
        ] {
            assert!(refused(value).contains("loopback"), "{value}");
        }
    }

    #[test]
    fn development_hosts_are_loopback_and_the_container_host_name_only() {
        for value in [
            "http://127.0.0.1:4010",
            "https://localhost:4010",
            "https://[::1]:4010",
            "https://host.docker.internal:4010",
            "https://HOST.docker.internal",
        ] {
            assert!(parsed(value).is_development_host(), "{value}");
        }
        for value in [
            "abc.appsync-api.eu-west-1.amazonaws.com",
            "https://events.example.com",
            "https://host.docker.internal.example.com",
            "https://docker.internal",
            "https://172.17.0.1:4010",
        ] {
            assert!(!parsed(value).is_development_host(), "{value}");
        }
    }

    #[test]
    fn other_schemes_paths_and_url_parts_are_refused() {
        assert!(refused("").contains("empty"));
        assert!(refused("wss://x.example.com/event/realtime").contains("not https"));
        assert!(refused("https://x.example.com/graphql").contains("/graphql"));
        assert!(refused("https://x.example.com/event/realtime").contains("realtime"));
        assert!(refused("https://user:pw@x.example.com").contains("credentials"));
        assert!(refused("https://x.example.com/event?x=1").contains("query"));
        assert!(refused("https://x.example.com/event#f").contains("fragment"));
        refused("https://");
        refused("not a url at all");
    }
}
