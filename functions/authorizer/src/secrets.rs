//! Shared secrets and configuration from AWS (Secrets Manager, SSM Parameter Store), read
//! with the execution role. Clients are only built when the configuration needs them, so a
//! key-set-only authorizer never loads AWS configuration at all.
//!
//! A secret is read at init and, while its store is unavailable, retried by the verifier
//! on later requests (at most once per few seconds). Those retries run inside an
//! invocation, so every call here is bounded: [`CONNECT_TIMEOUT`] to connect,
//! [`ATTEMPT_TIMEOUT`] per attempt, [`MAX_ATTEMPTS`] attempts and [`OPERATION_TIMEOUT`]
//! overall, keeping a deny well inside AppSync's 10 s authorizer limit (a real store
//! answers in tens of milliseconds).
//!
//! The SDK's own logs are muted around these calls: at TRACE it prints the resolved
//! identity (access key id) and request details, and Lambda lets operators turn TRACE on.
//! Failures are returned with the SDK's error chain (no credentials, no secret values) and
//! logged by the verifier.
//!
//! Endpoints honour the standard `AWS_ENDPOINT_URL_SECRETS_MANAGER` /
//! `AWS_ENDPOINT_URL_SSM` variables (used by the tests to point at loopback).

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use futures::future::BoxFuture;
use jwt_authz::issuer::{NoSecretStore, SecretProvider};
use jwt_authz::{Error, SecretRef};
use tracing::instrument::WithSubscriber;
use tracing::subscriber::NoSubscriber;

/// TCP + TLS connect timeout for Secrets Manager / SSM.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Timeout of one attempt (request sent → response read).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(700);
/// Attempts per call (the first try and one retry).
pub const MAX_ATTEMPTS: u32 = 2;
/// Timeout of a whole call, retries and backoff included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(1500);

/// An AWS-backed [`SecretProvider`].
#[derive(Debug, Clone)]
pub struct AwsSecrets {
    secrets_manager: aws_sdk_secretsmanager::Client,
    ssm: aws_sdk_ssm::Client,
}

/// The provider for this configuration: AWS-backed when needed, inline values only otherwise.
pub async fn provider(needs_aws: bool) -> Arc<dyn SecretProvider> {
    if !needs_aws {
        return Arc::new(NoSecretStore);
    }
    let config = sdk_config().await;
    Arc::new(AwsSecrets {
        secrets_manager: aws_sdk_secretsmanager::Client::new(&config),
        ssm: aws_sdk_ssm::Client::new(&config),
    })
}

/// The SDK configuration from the environment, with the bounded timeouts and retries above.
async fn sdk_config() -> aws_config::SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(200));
    aws_config::from_env()
        .timeout_config(timeouts)
        .retry_config(retries)
        .load()
        .await
}

/// Reads an SSM parameter (decrypted), for `AUTHORIZER_CONFIG_PARAMETER`.
pub async fn get_parameter(name: &str) -> Result<String, String> {
    read_parameter(&aws_sdk_ssm::Client::new(&sdk_config().await), name).await
}

async fn read_parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<String, String> {
    let output = ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .with_subscriber(NoSubscriber::default())
        .await
        .map_err(|e| {
            format!(
                "reading SSM parameter {name} failed: {}",
                aws_sdk_ssm::error::DisplayErrorContext(e)
            )
        })?;
    output
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| format!("SSM parameter {name} has no value"))
}

impl AwsSecrets {
    async fn read_secret(&self, arn: &str) -> Result<Vec<u8>, Error> {
        let output = self
            .secrets_manager
            .get_secret_value()
            .secret_id(arn)
            .send()
            .with_subscriber(NoSubscriber::default())
            .await
            .map_err(|e| {
                Error::Secret(format!(
                    "reading secret {arn} failed: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                ))
            })?;
        output
            .secret_string
            .map(String::into_bytes)
            .ok_or_else(|| Error::Secret(format!("secret {arn} has no SecretString")))
    }
}

impl SecretProvider for AwsSecrets {
    fn fetch<'a>(&'a self, secret: &'a SecretRef) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            match secret {
                SecretRef::Value(v) => Ok(v.as_bytes().to_vec()),
                SecretRef::Parameter(name) => read_parameter(&self.ssm, name)
                    .await
                    .map(String::into_bytes)
                    .map_err(Error::Secret),
                SecretRef::SecretsManagerArn(arn) => self.read_secret(arn).await,
            }
        })
    }
}
