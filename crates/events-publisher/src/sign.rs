//! SigV4 signing of a publish request, as a pure function.
//!
//! Everything that goes into the signature is an argument — method, URL, headers, body
//! bytes, credentials, region, time — so the same inputs always give the same headers and
//! the function is tested against a signature computed independently with botocore. The
//! caller must send exactly the body bytes and `Host` it signed; [`crate::Publisher`] does
//! so by signing the final serialized body and setting `Host` explicitly.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http::{HeaderName, HeaderValue};

use crate::error::PublishError;

/// The SigV4 service name of AppSync (the Events data plane included).
pub const SERVICE: &str = "appsync";

/// Signs a request and returns the headers to add to it: `authorization`, `x-amz-date`,
/// and `x-amz-security-token` when the credentials carry a session token.
///
/// `headers` are the headers that will be sent and must be covered by the signature; pass
/// at least `host` (with `:port` when not the default) and `content-type`. The returned
/// `authorization` and `x-amz-security-token` values are marked sensitive, so `Debug`
/// output of a request built from them does not show them.
///
/// # Errors
/// [`PublishError::Signing`] if the URL or a header cannot be signed.
pub fn sign_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(HeaderName, HeaderValue)>, PublishError> {
    let signing_error = |e: &dyn std::fmt::Display| PublishError::Signing(e.to_string());
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        // Defaults: signature in headers, session token included in the canonical request,
        // no x-amz-content-sha256 header (what AppSync and botocore's SigV4Auth expect).
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing_error(&e))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| signing_error(&e))?;
    // aws-sigv4 traces the signing parameters (including the access key id) at TRACE
    // level; Lambda lets operators turn TRACE on, and credentials must never reach a log,
    // so signing runs with no subscriber. It is synchronous, so nothing else is muted.
    let output =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            sign(request, &params)
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

    fn signed(token: Option<&str>) -> Vec<(String, String)> {
        let url = format!("https://{HOST}/event");
        sign_request(
            "POST",
            &url,
            &[("host", HOST), ("content-type", "application/json")],
            BODY,
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

    #[test]
    fn signature_covers_body_host_and_region() {
        let base = signed(Some("t"));
        let sign_with = |host: &str, body: &[u8], region: &str| {
            let url = format!("https://{host}/event");
            let out = sign_request(
                "POST",
                &url,
                &[("host", host), ("content-type", "application/json")],
                body,
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
    fn secret_headers_are_marked_sensitive() {
        let url = format!("https://{HOST}/event");
        let out = sign_request(
            "POST",
            &url,
            &[("host", HOST)],
            BODY,
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
