//! Fetching key sets and discovery documents.
//!
//! [`Fetcher`] is the seam: the cache is tested with real loopback servers through
//! [`HttpFetcher`] and can be given any other implementation. [`HttpFetcher`] is strict on
//! purpose: HTTPS only (plain HTTP only to loopback hosts, for local development), no
//! redirects (a redirect could move us to a host we never configured), connect and total
//! timeouts short enough that a deny still reaches AppSync well inside its 10 s limit, a
//! response size cap, and anything but `200` refused.
//!
//! HTTPS is verified against the Mozilla root program compiled into the binary
//! ([`outbound_http::mozilla_roots`]), plus any extra roots the caller passes — not the
//! system store. Loading the system store reads and parses every file under
//! `/etc/ssl/certs` at each cold start (≈ 4 ms, a third of the authorizer's cold start);
//! building the store from compiled-in DER takes ≈ 0.3 ms. Identity providers use public
//! CAs; a private CA is added explicitly ([`HttpFetcher::with_extra_roots`]).

use std::time::Duration;

use futures::future::BoxFuture;
use outbound_http::{describe, is_loopback};
use url::Url;

use crate::Error;

/// Fetches a URL's body.
pub trait Fetcher: Send + Sync + std::fmt::Debug + 'static {
    /// GETs `url` and returns the body of a `200` response.
    fn get<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, Error>>;
}

/// Limits of [`HttpFetcher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// TCP + TLS connect timeout. Default 1 s.
    pub connect_timeout: Duration,
    /// Whole request timeout, body included. Default 1.5 s.
    pub timeout: Duration,
    /// Largest body accepted, in bytes. Default 256 KiB (real key sets are a few KiB).
    pub max_body: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_millis(1500),
            max_body: 256 * 1024,
        }
    }
}

/// The reqwest-backed [`Fetcher`]: one client, built once, connections reused.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    client: reqwest::Client,
    limits: FetchLimits,
}

impl HttpFetcher {
    /// Builds the client, trusting the compiled-in Mozilla roots.
    pub fn new(limits: FetchLimits) -> Result<Self, Error> {
        Self::with_extra_roots(limits, &[])
    }

    /// Builds the client, trusting the compiled-in Mozilla roots and the certificates of
    /// `extra_pem` (a PEM bundle, e.g. a corporate CA; may be empty).
    ///
    /// # Errors
    /// [`Error::Config`] if `extra_pem` holds no valid certificate or the client cannot be
    /// built.
    pub fn with_extra_roots(limits: FetchLimits, extra_pem: &[u8]) -> Result<Self, Error> {
        let mut roots = outbound_http::mozilla_roots()
            .map_err(|e| Error::config("built-in root certificates", e.to_string()))?;
        if !extra_pem.is_empty() {
            let extra = reqwest::Certificate::from_pem_bundle(extra_pem)
                .map_err(|e| Error::config("extra root certificates", e.to_string()))?;
            if extra.is_empty() {
                return Err(Error::config(
                    "extra root certificates",
                    "no PEM certificate found",
                ));
            }
            roots.extend(extra);
        }
        let client = reqwest::Client::builder()
            .tls_certs_only(roots)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .user_agent(concat!(
                "appsync-jwt-authorizer/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| Error::config("http client", e.to_string()))?;
        Ok(Self { client, limits })
    }

    /// The underlying client (no redirects, bounded connect), for callers that want one
    /// connection pool and one set of TLS roots for all their HTTP.
    #[must_use]
    pub fn http_client(&self) -> &reqwest::Client {
        &self.client
    }
}

impl Fetcher for HttpFetcher {
    fn get<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            let fail = |message: String| Error::Fetch {
                url: url.to_string(),
                message,
            };
            let mut response = self
                .client
                .get(url.clone())
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| fail(describe(&e)))?;
            let status = response.status();
            if status != reqwest::StatusCode::OK {
                return Err(fail(format!(
                    "status {status} (only 200 is accepted; redirects are not followed)"
                )));
            }
            if response
                .content_length()
                .is_some_and(|len| len > self.limits.max_body as u64)
            {
                return Err(fail(format!(
                    "body larger than {} bytes",
                    self.limits.max_body
                )));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| fail(describe(&e)))? {
                if body.len() + chunk.len() > self.limits.max_body {
                    return Err(fail(format!(
                        "body larger than {} bytes",
                        self.limits.max_body
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        })
    }
}

/// Parses a configured URL that keys or discovery documents will be fetched from: `https`,
/// or `http` to a loopback host for local development.
pub(crate) fn parse_fetch_url(field: &str, value: &str) -> Result<Url, Error> {
    let url = Url::parse(value)
        .map_err(|e| Error::config(field, format!("{value:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if url.host().is_some_and(|host| is_loopback(&host)) => Ok(url),
        "http" => Err(Error::config(
            field,
            format!(
                "{value:?} uses plain http; only https is allowed (http only for loopback hosts in local development)"
            ),
        )),
        other => Err(Error::config(
            field,
            format!("{value:?}: unsupported scheme {other:?}; use https"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_are_accepted() {
        assert!(
            parse_fetch_url(
                "issuers[0].jwksUrl",
                "https://x.supabase.co/auth/v1/.well-known/jwks.json"
            )
            .is_ok()
        );
    }

    #[test]
    fn plain_http_is_accepted_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:54321/jwks",
            "http://localhost/jwks",
            "http://[::1]:9/jwks",
            "http://127.8.0.1/x",
        ] {
            assert!(parse_fetch_url("issuers[0].jwksUrl", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/jwks",
            "http://10.0.0.1/jwks",
            "http://localhost.evil.com/x",
            "ftp://x/y",
            "nope",
        ] {
            let err = parse_fetch_url("issuers[0].jwksUrl", bad)
                .expect_err(bad)
                .to_string();
            assert!(err.starts_with("issuers[0].jwksUrl:"), "{err}");
        }
    }
}
