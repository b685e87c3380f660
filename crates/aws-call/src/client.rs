//! One bounded, signed `awsJson1_1` call, and the two operations built on it.
//!
//! Calls run at init and, while a store is down, on a request path (the authorizer retries
//! a missing secret at most every few seconds). So every call is bounded:
//! [`ATTEMPT_TIMEOUT`] per attempt, [`MAX_ATTEMPTS`] attempts, [`OPERATION_TIMEOUT`] in
//! all — a deny still reaches AppSync well inside its 10 s limit, and a real store answers
//! in tens of milliseconds. Logs are muted for the whole call: at TRACE, HTTP and signing
//! libraries print headers and credential scopes.

use std::time::{Duration, SystemTime};

use outbound_http::describe;
use serde::Deserialize;
use serde_json::json;
use tracing::instrument::WithSubscriber;
use tracing::subscriber::NoSubscriber;

use crate::Error;
use crate::endpoint::{Endpoint, Service, Settings, resolve};
use crate::sign::{Signable, host_header, sign_headers};

/// Timeout of one attempt: request sent, answer read.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(700);
/// Attempts per call: the first try and one retry (transport errors, throttling, 5xx).
pub const MAX_ATTEMPTS: u32 = 2;
/// Timeout of a whole call, retries and backoff included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(1500);
/// Largest answer read, in bytes (a secret is at most 64 KiB).
pub const MAX_RESPONSE: usize = 256 * 1024;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Reads secrets and parameters with the caller's HTTP client and [`Settings`].
///
/// Cheap to keep: nothing is fetched until a call. The HTTP client should not follow
/// redirects (a signed request must go where it was signed for).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    settings: Settings,
}

impl Client {
    /// A client over `http` with `settings`.
    #[must_use]
    pub fn new(http: reqwest::Client, settings: Settings) -> Self {
        Self { http, settings }
    }

    /// The `SecretString` of a Secrets Manager secret (name or ARN; an ARN's region is
    /// where it is read from).
    ///
    /// # Errors
    /// Any [`Error`]; [`Error::Response`] when the secret has no `SecretString`.
    pub async fn get_secret_value(&self, secret_id: &str) -> Result<String, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Output {
            secret_string: Option<String>,
        }
        const OPERATION: &str = "secretsmanager.GetSecretValue";
        let body = json!({ "SecretId": secret_id });
        let answer = self
            .call(Service::SecretsManager, OPERATION, secret_id, &body)
            .await?;
        let output: Output = parse(OPERATION, &answer)?;
        output.secret_string.ok_or_else(|| Error::Response {
            operation: OPERATION,
            message: format!(
                "secret {secret_id} has no SecretString (binary secrets are not supported)"
            ),
        })
    }

    /// The decrypted value of an SSM parameter (name or ARN).
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn get_parameter(&self, name: &str) -> Result<String, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Parameter {
            value: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Output {
            parameter: Option<Parameter>,
        }
        const OPERATION: &str = "AmazonSSM.GetParameter";
        let body = json!({ "Name": name, "WithDecryption": true });
        let answer = self.call(Service::Ssm, OPERATION, name, &body).await?;
        let output: Output = parse(OPERATION, &answer)?;
        output
            .parameter
            .and_then(|p| p.value)
            .ok_or_else(|| Error::Response {
                operation: OPERATION,
                message: format!("parameter {name} has no value"),
            })
    }

    async fn call(
        &self,
        service: Service,
        operation: &'static str,
        resource: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, Error> {
        let endpoint = resolve(&self.settings, service, resource)?;
        let body = body.to_string().into_bytes();
        let attempts = async {
            let mut attempt = 1;
            loop {
                match self.attempt(service, operation, &endpoint, &body).await {
                    Err(error) if error.is_retryable() && attempt < MAX_ATTEMPTS => {
                        attempt += 1;
                        let backoff = 50 + fastrand::u64(0..100);
                        tokio::time::sleep(Duration::from_millis(backoff)).await;
                    }
                    result => return result,
                }
            }
        };
        tokio::time::timeout(OPERATION_TIMEOUT, attempts)
            .with_subscriber(NoSubscriber::default())
            .await
            .unwrap_or_else(|_| {
                Err(Error::Transport {
                    operation,
                    message: format!("timed out after {OPERATION_TIMEOUT:?}"),
                })
            })
    }

    async fn attempt(
        &self,
        service: Service,
        operation: &'static str,
        endpoint: &Endpoint,
        body: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let credentials = self.settings.credentials.resolve(&self.http).await?;
        // Resolved and override URLs always have a host (endpoint.rs checks overrides).
        let host = host_header(&endpoint.url).unwrap_or_default();
        let headers = [
            ("host", host.as_str()),
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", operation),
        ];
        let signed = sign_headers(
            &Signable {
                service: service.signing_name(),
                method: "POST",
                url: endpoint.url.as_str(),
                headers: &headers,
                body,
            },
            &credentials,
            &endpoint.region,
            SystemTime::now(),
        )?;
        let mut request = self
            .http
            .post(endpoint.url.clone())
            .timeout(ATTEMPT_TIMEOUT)
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        for (name, value) in signed {
            request = request.header(name, value);
        }
        let transport = |message: String| Error::Transport { operation, message };
        let mut response = request.send().await.map_err(|e| transport(describe(&e)))?;
        let status = response.status();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut answer = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport(describe(&e)))?
        {
            if answer.len() + chunk.len() > MAX_RESPONSE {
                return Err(Error::Response {
                    operation,
                    message: format!("answer larger than {MAX_RESPONSE} bytes"),
                });
            }
            answer.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(answer);
        }
        let (code, message) = service_error(&answer, error_type.as_deref());
        Err(Error::Service {
            operation,
            status: status.as_u16(),
            code,
            message,
        })
    }
}

fn parse<'a, T: Deserialize<'a>>(operation: &'static str, answer: &'a [u8]) -> Result<T, Error> {
    serde_json::from_slice(answer).map_err(|e| Error::Response {
        operation,
        message: format!("not the documented JSON: {e}"),
    })
}

/// The error code and message of an `awsJson1_1` error answer. The code is `__type` (or
/// the `x-amzn-ErrorType` header) without its namespace (`…#Code`) or suffix (`Code:…`).
fn service_error(answer: &[u8], header: Option<&str>) -> (String, String) {
    #[derive(Deserialize, Default)]
    struct Body {
        #[serde(rename = "__type")]
        kind: Option<String>,
        #[serde(alias = "Message")]
        message: Option<String>,
    }
    let body: Body = serde_json::from_slice(answer).unwrap_or_default();
    let raw = body.kind.as_deref().or(header).unwrap_or("UnknownError");
    let code = raw.rsplit('#').next().unwrap_or(raw);
    let code = code.split(':').next().unwrap_or(code).to_owned();
    (code, body.message.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_lose_namespace_and_suffix() {
        let (code, message) = service_error(
            br#"{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","Message":"no such secret"}"#,
            None,
        );
        assert_eq!(code, "ResourceNotFoundException");
        assert_eq!(message, "no such secret");
        let (code, _) = service_error(b"<html>", Some("ThrottlingException:http://internal"));
        assert_eq!(code, "ThrottlingException");
        assert_eq!(service_error(b"", None).0, "UnknownError");
    }
}
