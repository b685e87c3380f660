//! Classifying a request's credentials the way AppSync infers the auth mode.
//!
//! Nothing here verifies anything yet: a SigV4 `Authorization` header is only parsed so the
//! stand-in can log (and check) the region and service it was signed for — the usual cause
//! of "the request signature we calculated does not match" — and a Lambda-mode token is
//! accepted as opaque. Signature verification (with an implementation independent of the
//! publisher's) and calls to the real authorizer come with the full local endpoint.
//!
//! Neither the header value, the signature, the access key id nor a session token is ever
//! kept or logged: only the parsed credential scope.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::error::Error;

/// The SigV4 algorithm AppSync accepts.
pub const SIGV4_ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The signing name AppSync Events requests must be signed for.
pub const APPSYNC_SERVICE: &str = "appsync";

/// The auth mode a request was sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// `AWS_IAM`: a SigV4-signed request (signature not verified by this stand-in).
    Iam(CredentialScope),
    /// `AWS_LAMBDA`: any other `Authorization` value (not verified by this stand-in).
    Lambda,
}

impl Auth {
    /// The AppSync name of the mode (`AWS_IAM`, `AWS_LAMBDA`).
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Iam(_) => "AWS_IAM",
            Self::Lambda => "AWS_LAMBDA",
        }
    }
}

/// The `Credential=<key>/<date>/<region>/<service>/aws4_request` scope of a SigV4 header,
/// without the access key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// The region the request was signed for.
    pub region: String,
    /// The service the request was signed for (AppSync requires `appsync`).
    pub service: String,
}

/// Classifies the request's credentials.
///
/// A missing or empty `Authorization` header, an ill-formed SigV4 header, a SigV4 request
/// without `X-Amz-Date`, one signed for a service other than `appsync`, or (when
/// `expected_region` is set) for another region, is an [`Error::Unauthorized`] whose
/// message says which part is wrong.
pub fn classify(headers: &HeaderMap, expected_region: Option<&str>) -> Result<Auth, Error> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(Error::Unauthorized(
            "no Authorization header: sign the request with SigV4 (service 'appsync') or \
             send a Lambda authorizer token"
                .into(),
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| Error::Unauthorized("the Authorization header is not visible ASCII".into()))?;
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Unauthorized(
            "the Authorization header is empty".into(),
        ));
    }
    if !value.starts_with("AWS4-") {
        return Ok(Auth::Lambda);
    }
    let scope = parse_sigv4(value)?;
    if !headers.contains_key("x-amz-date") {
        return Err(Error::Unauthorized(
            "SigV4 request without an X-Amz-Date header".into(),
        ));
    }
    if scope.service != APPSYNC_SERVICE {
        return Err(Error::Unauthorized(format!(
            "request signed for service {:?}; AppSync Events requires {APPSYNC_SERVICE:?}",
            scope.service
        )));
    }
    if let Some(expected) = expected_region
        && scope.region != expected
    {
        return Err(Error::Unauthorized(format!(
            "request signed for region {:?} but this endpoint stands in for {expected:?}: \
             check EVENTS_REGION / AWS_REGION of the signer",
            scope.region
        )));
    }
    Ok(Auth::Iam(scope))
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn parse_sigv4(value: &str) -> Result<CredentialScope, Error> {
    let ill_formed =
        |what: &str| Error::Unauthorized(format!("ill-formed SigV4 Authorization header: {what}"));
    let Some(rest) = value.strip_prefix(SIGV4_ALGORITHM) else {
        return Err(ill_formed("the algorithm must be AWS4-HMAC-SHA256"));
    };
    if !rest.starts_with(' ') {
        return Err(ill_formed("the algorithm must be followed by a space"));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((key, val)) = part.trim().split_once('=') else {
            return Err(ill_formed("expected Key=value components"));
        };
        match key {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed_headers = Some(val),
            "Signature" => signature = Some(val),
            _ => {
                return Err(ill_formed(
                    "unknown component (expected Credential, SignedHeaders, Signature)",
                ));
            }
        }
    }
    let credential = credential.ok_or_else(|| ill_formed("no Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| ill_formed("no SignedHeaders"))?;
    let signature = signature.ok_or_else(|| ill_formed("no Signature"))?;

    let signed: Vec<&str> = signed_headers.split(';').collect();
    if !signed.contains(&"host") {
        return Err(ill_formed("SignedHeaders must include host"));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ill_formed("Signature must be 64 hex digits"));
    }
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(ill_formed(
            "Credential must be <key>/<date>/<region>/<service>/aws4_request",
        ));
    };
    if key.is_empty() || region.is_empty() || service.is_empty() {
        return Err(ill_formed(
            "Credential has an empty access key, region or service",
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ill_formed("the Credential date must be YYYYMMDD"));
    }
    if *terminator != "aws4_request" {
        return Err(ill_formed("the Credential scope must end in aws4_request"));
    }
    Ok(CredentialScope {
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    fn sigv4(credential: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={credential}, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature={SIGNATURE}"
        )
    }

    fn headers(authorization: Option<&str>, with_date: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("ascii"));
        }
        if with_date {
            headers.insert("x-amz-date", HeaderValue::from_static("20260101T000000Z"));
        }
        headers
    }

    #[test]
    fn sigv4_header_yields_the_credential_scope_without_the_key() {
        let auth = classify(
            &headers(
                Some(&sigv4(
                    "AKIDEXAMPLE/20260101/us-east-1/appsync/aws4_request",
                )),
                true,
            ),
            Some("us-east-1"),
        )
        .expect("accepted");
        assert_eq!(
            auth,
            Auth::Iam(CredentialScope {
                date: "20260101".into(),
                region: "us-east-1".into(),
                service: "appsync".into(),
            })
        );
        assert_eq!(auth.mode(), "AWS_IAM");
    }

    #[test]
    fn any_other_token_is_lambda_mode() {
        let auth = classify(&headers(Some("supabase:eyJ.a.b"), false), None).expect("accepted");
        assert_eq!(auth, Auth::Lambda);
    }

    #[test]
    fn missing_or_empty_authorization_is_unauthorized() {
        for h in [headers(None, true), headers(Some("  "), true)] {
            assert!(matches!(classify(&h, None), Err(Error::Unauthorized(_))));
        }
    }

    #[test]
    fn wrong_service_or_region_is_unauthorized_with_a_clear_message() {
        let s3 = headers(
            Some(&sigv4("AKID/20260101/us-east-1/s3/aws4_request")),
            true,
        );
        let error = classify(&s3, None).expect_err("wrong service");
        assert!(error.to_string().contains("\"s3\""), "{error}");

        let eu = headers(
            Some(&sigv4("AKID/20260101/eu-west-1/appsync/aws4_request")),
            true,
        );
        let error = classify(&eu, Some("us-east-1")).expect_err("wrong region");
        assert!(error.to_string().contains("\"eu-west-1\""), "{error}");
        assert!(
            classify(&eu, None).is_ok(),
            "any region when none is configured"
        );
    }

    #[test]
    fn ill_formed_sigv4_headers_are_unauthorized() {
        let cases = [
            "AWS4-HMAC-SHA1 Credential=a/20260101/r/appsync/aws4_request".to_owned(),
            format!("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/appsync, SignedHeaders=host, Signature={SIGNATURE}"),
            format!("AWS4-HMAC-SHA256 Credential=AKID/2026-1-1/us-east-1/appsync/aws4_request, SignedHeaders=host, Signature={SIGNATURE}"),
            format!("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/appsync/aws4_request, SignedHeaders=x-amz-date, Signature={SIGNATURE}"),
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/appsync/aws4_request, SignedHeaders=host, Signature=abc".to_owned(),
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/appsync/aws4_request, SignedHeaders=host".to_owned(),
            "AWS4-HMAC-SHA256".to_owned(),
        ];
        for case in cases {
            let result = classify(&headers(Some(&case), true), None);
            assert!(
                matches!(result, Err(Error::Unauthorized(_))),
                "{case}: {result:?}"
            );
        }
    }

    #[test]
    fn sigv4_without_x_amz_date_is_unauthorized() {
        let h = headers(
            Some(&sigv4("AKID/20260101/us-east-1/appsync/aws4_request")),
            false,
        );
        assert!(matches!(classify(&h, None), Err(Error::Unauthorized(_))));
    }
}
