//! Shared secrets and configuration from AWS (Secrets Manager, SSM Parameter Store), read
//! with the execution role. Clients are only built when the configuration needs them, so a
//! key-set-only authorizer never loads AWS configuration at all.
//!
//! Endpoints honour the standard `AWS_ENDPOINT_URL_SECRETS_MANAGER` /
//! `AWS_ENDPOINT_URL_SSM` variables (used by the tests to point at loopback).

use std::sync::Arc;

use futures::future::BoxFuture;
use jwt_authz::issuer::{NoSecretStore, SecretProvider};
use jwt_authz::{Error, SecretRef};

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
    let config = aws_config::load_from_env().await;
    Arc::new(AwsSecrets {
        secrets_manager: aws_sdk_secretsmanager::Client::new(&config),
        ssm: aws_sdk_ssm::Client::new(&config),
    })
}

/// Reads an SSM parameter (decrypted), for `AUTHORIZER_CONFIG_PARAMETER`.
pub async fn get_parameter(name: &str) -> Result<String, String> {
    let config = aws_config::load_from_env().await;
    read_parameter(&aws_sdk_ssm::Client::new(&config), name).await
}

async fn read_parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<String, String> {
    let output = ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
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

impl SecretProvider for AwsSecrets {
    fn fetch<'a>(&'a self, secret: &'a SecretRef) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            match secret {
                SecretRef::Value(v) => Ok(v.as_bytes().to_vec()),
                SecretRef::Parameter(name) => read_parameter(&self.ssm, name)
                    .await
                    .map(String::into_bytes)
                    .map_err(Error::Secret),
                SecretRef::SecretsManagerArn(arn) => {
                    let output = self
                        .secrets_manager
                        .get_secret_value()
                        .secret_id(arn)
                        .send()
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
        })
    }
}
