//! Shared secrets from AWS (Secrets Manager, SSM Parameter Store), read with the execution
//! role through [`aws_call`] — not the AWS SDK, which would double the binary for two
//! calls (BENCHMARKS.md). Only built when the configuration names such a secret.
//!
//! A secret is read at init and, while its store is unavailable, retried by the verifier on
//! later requests (at most once per few seconds). Those retries run inside an invocation,
//! so every call is bounded (`aws_call::client`: 700 ms per attempt, 2 attempts, 1.5 s in
//! all), keeping a deny well inside AppSync's 10 s authorizer limit. Failures carry the
//! service's error code and message (never credentials or secret values) and are logged by
//! the verifier.

use std::sync::Arc;

use futures::future::BoxFuture;
use jwt_authz::{Error, NoSecretStore, SecretProvider, SecretRef};

/// An AWS-backed [`SecretProvider`].
#[derive(Debug, Clone)]
pub struct AwsSecrets {
    aws: aws_call::Client,
}

/// The provider for this configuration: AWS-backed when a client was configured, inline
/// values only otherwise.
pub fn provider(aws: Option<aws_call::Client>) -> Arc<dyn SecretProvider> {
    match aws {
        Some(aws) => Arc::new(AwsSecrets { aws }),
        None => Arc::new(NoSecretStore),
    }
}

impl SecretProvider for AwsSecrets {
    fn fetch<'a>(&'a self, secret: &'a SecretRef) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            let value = match secret {
                SecretRef::Value(v) => return Ok(v.as_bytes().to_vec()),
                SecretRef::Parameter(name) => self.aws.get_parameter(name).await,
                SecretRef::SecretsManagerArn(arn) => self.aws.get_secret_value(arn).await,
            };
            value
                .map(String::into_bytes)
                .map_err(|e| Error::Secret(format!("reading {} failed: {e}", secret.describe())))
        })
    }
}
