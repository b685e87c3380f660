//! SigV4 signing of a request, as a pure function.
//!
//! Everything that goes into the signature is an argument — service, method, URL, headers,
//! body bytes, credentials, region, time — so the same inputs always give the same headers
//! and the function is tested against signatures computed independently with botocore.
//! The caller must send exactly the body bytes and `Host` it signed.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http::{HeaderName, HeaderValue};

use crate::Error;

/// The `Host` header a signed request must carry and send: the URL's host, plus `:port`
/// when the port is not the scheme's default (`Url::port` is `None` then). `None` when the
/// URL has no host.
#[must_use]
pub fn host_header(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// A request to sign: everything but the credentials, region and time.
#[derive(Debug, Clone, Copy)]
pub struct Signable<'a> {
    /// The SigV4 signing name of the service (`appsync`, `secretsmanager`, `ssm`).
    pub service: &'a str,
    /// `POST`, `GET`, …
    pub method: &'a str,
    /// The full URL the request is sent to.
    pub url: &'a str,
    /// The headers that will be sent and must be covered by the signature: at least `host`
    /// (with `:port` when not the default) and `content-type`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes that will be sent.
    pub body: &'a [u8],
}

/// Signs a request and returns the headers to add to it: `authorization`, `x-amz-date`,
/// and `x-amz-security-token` when the credentials carry a session token.
///
/// The returned `authorization` and `x-amz-security-token` values are marked sensitive, so
/// `Debug` output of a request built from them does not show them.
///
/// # Errors
/// [`Error::Signing`] if the URL or a header cannot be signed.
pub fn sign_headers(
    request: &Signable<'_>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
    let signing_error = |e: &dyn std::fmt::Display| Error::Signing(e.to_string());
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(request.service)
        .time(time)
        // Defaults: signature in headers, session token included in the canonical request,
        // no x-amz-content-sha256 header (what AppSync, the JSON APIs and botocore's
        // SigV4Auth expect).
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing_error(&e))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| signing_error(&e))?;
    // aws-sigv4 traces the signing parameters (including the access key id) at TRACE
    // level; Lambda lets operators turn TRACE on, and credentials must never reach a log,
    // so signing runs with no subscriber. It is synchronous, so nothing else is muted.
    let output =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            sign(signable, &params)
        })
        .map_err(|e| signing_error(&e))?;
    let (instructions, _signature) = output.into_parts();
    let (signed_headers, _params) = instructions.into_parts();
    signed_headers
        .into_iter()
        .map(|header| {
            let name =
                HeaderName::from_bytes(header.name().as_bytes()).map_err(|e| signing_error(&e))?;
            let mut value = HeaderValue::from_str(header.value()).map_err(|e| signing_error(&e))?;
            value.set_sensitive(header.sensitive() || name == http::header::AUTHORIZATION);
            Ok((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const HOST: &str = "abcdefghijklmnopqrstuvwxyz.appsync-api.us-east-1.amazonaws.com";
    const BODY: &[u8] = br#"{"channel":"/default/orders","events":["{\"id\":1}"]}"#;

    fn credentials(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
            None,
            "test",
        )
    }

    /// 2024-01-02T03:04:05Z
    fn fixed_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_704_164_645)
    }

    fn appsync<'a>(
        url: &'a str,
        headers: &'a [(&'a str, &'a str)],
        body: &'a [u8],
    ) -> Signable<'a> {
        Signable {
            service: "appsync",
            method: "POST",
            url,
            headers,
            body,
        }
    }

    fn signed(token: Option<&str>) -> Vec<(String, String)> {
        let url = format!("https://{HOST}/event");
        sign_headers(
            &appsync(
                &url,
                &[("host", HOST), ("content-type", "application/json")],
                BODY,
            ),
            &credentials(token),
            "us-east-1",
            fixed_time(),
        )
        .expect("signs")
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_str().expect("ascii").to_owned()))
        .collect()
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    // The expected values were computed once, independently, with botocore 1.43.11:
    //   req = AWSRequest("POST", f"https://{HOST}/event", data=BODY,
    //                    headers={"host": HOST, "content-type": "application/json"})
    //   auth = SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    //                                token), "appsync", "us-east-1")
    //   with mock.patch("botocore.auth.get_current_datetime",
    //                   return_value=datetime(2024, 1, 2, 3, 4, 5)):
    //       auth.add_auth(req)
    #[test]
    fn signature_with_session_token_matches_botocore() {
        let headers = signed(Some("FwoGZXIvYXdzEXAMPLETOKEN"));
        assert_eq!(
            header(&headers, "authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/appsync/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, \
                 Signature=ec653fcd85501b004d0b3c026acd881ea37606f8d01f4121709dc0a7adeef0b2"
            )
        );
        assert_eq!(header(&headers, "x-amz-date"), Some("20240102T030405Z"));
        assert_eq!(
            header(&headers, "x-amz-security-token"),
            Some("FwoGZXIvYXdzEXAMPLETOKEN")
        );
    }

    #[test]
    fn signature_without_session_token_matches_botocore() {
        let headers = signed(None);
        assert_eq!(
            header(&headers, "authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/appsync/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=f5e9d89df7eb510ea84cb3b04b4c306587a33d6e98fefdacececf276b69c93cf"
            )
        );
        assert_eq!(header(&headers, "x-amz-security-token"), None);
    }

    // Same recipe for a JSON API call (service `secretsmanager`, `x-amz-target` signed):
    //   AWSRequest("POST", "https://secretsmanager.eu-west-1.amazonaws.com/", data=body,
    //              headers={"host": ..., "content-type": "application/x-amz-json-1.1",
    //                       "x-amz-target": "secretsmanager.GetSecretValue"})
    //   SigV4Auth(Credentials(..., "FwoGZXIvYXdzEXAMPLETOKEN"), "secretsmanager", "eu-west-1")
    #[test]
    fn json_api_signature_matches_botocore() {
        let host = "secretsmanager.eu-west-1.amazonaws.com";
        let url = format!("https://{host}/");
        let body =
            br#"{"SecretId":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf"}"#;
        let headers = [
            ("host", host),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
        ];
        let request = Signable {
            service: "secretsmanager",
            method: "POST",
            url: &url,
            headers: &headers,
            body,
        };
        let out = sign_headers(
            &request,
            &credentials(Some("FwoGZXIvYXdzEXAMPLETOKEN")),
            "eu-west-1",
            fixed_time(),
        )
        .expect("signs");
        let auth = out
            .iter()
            .find(|(n, _)| n == http::header::AUTHORIZATION)
            .map(|(_, v)| v.to_str().expect("ascii"));
        assert_eq!(
            auth,
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/eu-west-1/secretsmanager/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
                 Signature=8c745805216505ec4be121127680b4fe1698c38dad1b8377f408355cab902f13"
            )
        );
    }

    #[test]
    fn signature_covers_body_host_and_region() {
        let base = signed(Some("t"));
        let sign_with = |host: &str, body: &[u8], region: &str| {
            let url = format!("https://{host}/event");
            let out = sign_headers(
                &appsync(
                    &url,
                    &[("host", host), ("content-type", "application/json")],
                    body,
                ),
                &credentials(Some("t")),
                region,
                fixed_time(),
            )
            .expect("signs");
            out.into_iter()
                .find(|(n, _)| n == http::header::AUTHORIZATION)
                .map(|(_, v)| v.to_str().expect("ascii").to_owned())
        };
        let auth = header(&base, "authorization").map(str::to_owned);
        assert_ne!(sign_with(HOST, b"{}", "us-east-1"), auth);
        assert_ne!(sign_with("other.example.com", BODY, "us-east-1"), auth);
        let other_region = sign_with(HOST, BODY, "eu-west-1").expect("signed");
        assert!(other_region.contains("/eu-west-1/appsync/aws4_request"));
    }

    #[test]
    fn the_host_header_keeps_a_non_default_port() {
        let host = |u: &str| host_header(&url::Url::parse(u).expect("url"));
        assert_eq!(
            host("http://127.0.0.1:4566/").as_deref(),
            Some("127.0.0.1:4566")
        );
        assert_eq!(
            host("https://ssm.us-east-1.amazonaws.com:443/").as_deref(),
            Some("ssm.us-east-1.amazonaws.com")
        );
        assert_eq!(
            host("http://[::1]:9000/event").as_deref(),
            Some("[::1]:9000")
        );
        assert_eq!(host("data:text/plain,x"), None);
    }

    #[test]
    fn secret_headers_are_marked_sensitive() {
        let url = format!("https://{HOST}/event");
        let out = sign_headers(
            &appsync(&url, &[("host", HOST)], BODY),
            &credentials(Some("t")),
            "us-east-1",
            fixed_time(),
        )
        .expect("signs");
        for (name, value) in out {
            let secret = name == http::header::AUTHORIZATION || name == "x-amz-security-token";
            assert_eq!(value.is_sensitive(), secret, "{name}");
        }
    }
}
