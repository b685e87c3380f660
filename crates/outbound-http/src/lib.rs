//! The three rules every outbound HTTP call of the project shares.
//!
//! The verifier (`jwt-authz`, fetching key sets) and the AWS calls (`aws-call`, and the
//! publisher through it) must agree on which hosts may be spoken to in clear text, and an
//! operator should read one kind of message whichever of them failed. Those two crates
//! never depend on each other, so the rules live here, below both.
//!
//! - [`is_loopback`]: `localhost` or a loopback address — the only hosts plain `http` may
//!   go to (local development).
//! - [`describe`]: a failed `reqwest` request as one short line with its cause (timed out,
//!   refused, an untrusted certificate), never a body.
//! - [`mozilla_roots`]: the certificate authorities trusted by default, compiled in.

#![warn(missing_docs, unreachable_pub)]

use std::net::IpAddr;

use url::Host;

/// The Mozilla root certificates, compiled into the binary (`webpki-root-certs`), for
/// `reqwest::ClientBuilder::tls_certs_only`. Every client here trusts these rather than
/// the system store: reading a system's certificate files cost milliseconds of every cold
/// start (BENCHMARKS.md), and the hosts called (identity providers, AWS endpoints) are
/// publicly trusted. Callers add a private CA where a user names one.
///
/// # Errors
/// reqwest's, if a compiled-in certificate is refused (it would be a build defect).
pub fn mozilla_roots() -> Result<Vec<reqwest::Certificate>, reqwest::Error> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect()
}

/// Whether `host` is `localhost` (any case) or a loopback address (`127.0.0.0/8`, `::1`).
/// `localhost.example.com` is not.
#[must_use]
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// A failed request as a short message with its cause: `timed out`,
/// `connection failed: <root cause>` (refused, unreachable, or a TLS failure such as
/// `invalid peer certificate: UnknownIssuer`), else reqwest's message followed by its
/// cause chain. reqwest's top message is generic ("error sending request"); the chain is
/// what an operator needs. No body is quoted.
#[must_use]
pub fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    if error.is_connect() {
        return format!("connection failed: {}", root_cause(error));
    }
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The innermost error of `error`'s source chain.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(url: &str) -> bool {
        let url = url::Url::parse(url).expect("url");
        url.host().is_some_and(|h| is_loopback(&h))
    }

    #[test]
    fn loopback_is_localhost_and_the_loopback_ranges_only() {
        for yes in [
            "http://127.0.0.1:1/",
            "http://127.9.8.7/",
            "http://LOCALHOST/",
            "http://[::1]:9/",
        ] {
            assert!(host_of(yes), "{yes}");
        }
        for no in [
            "http://localhost.example.com/",
            "http://128.0.0.1/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://example.com/",
        ] {
            assert!(!host_of(no), "{no}");
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_described_by_its_cause() {
        // Bind, then drop: the port is free and nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let error = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("nothing listens");
        let message = describe(&error);
        assert!(message.starts_with("connection failed: "), "{message}");
        assert!(!message.ends_with("error sending request"), "{message}");
    }
}
