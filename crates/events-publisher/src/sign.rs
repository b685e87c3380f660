//! SigV4 signing of a publish request: [`aws_call::sign_headers`] for AppSync.
//!
//! A pure function of its inputs, tested (in `aws-call`) against signatures computed
//! independently with botocore. The caller must send exactly the body bytes and `Host` it
//! signed; [`crate::Publisher`] does so by signing the final serialized body and setting
//! `Host` explicitly.

use std::time::SystemTime;

use aws_call::Signable;
use aws_credential_types::Credentials;
use http::{HeaderName, HeaderValue};

use crate::error::PublishError;

/// The SigV4 service name of AppSync (the Events data plane included).
pub(crate) const SERVICE: &str = "appsync";

/// Signs a request and returns the headers to add to it: `authorization`, `x-amz-date`,
/// and `x-amz-security-token` when the credentials carry a session token.
///
/// `headers` are the headers that will be sent and must be covered by the signature; pass
/// at least `host` (with `:port` when not the default) and `content-type`. The returned
/// `authorization` and `x-amz-security-token` values are marked sensitive.
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
    let request = Signable {
        service: SERVICE,
        method,
        url,
        headers,
        body,
    };
    aws_call::sign_headers(&request, credentials, region, time).map_err(|e| match e {
        aws_call::Error::Signing(message) => PublishError::Signing(message),
        other => PublishError::Signing(other.to_string()),
    })
}
