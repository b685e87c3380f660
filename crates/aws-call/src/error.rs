//! The crate's error type.

/// Everything that can go wrong calling an AWS API. Messages name the service, the
/// operation and the resource, never a credential, signature or returned value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No usable credentials were found.
    #[error(
        "no AWS credentials: {0}. In Lambda they come from the execution role; to run locally, \
         export them, e.g. eval \"$(aws configure export-credentials --format env)\""
    )]
    NoCredentials(String),
    /// The container credentials endpoint failed or answered something unusable.
    #[error("container credentials endpoint: {0}")]
    ContainerCredentials(String),
    /// No region to call: not in the resource's ARN and not configured.
    #[error(
        "no region for {resource}: give its full ARN (which names the region) or set AWS_REGION"
    )]
    NoRegion {
        /// The resource as given.
        resource: String,
    },
    /// The resource or an endpoint override cannot be used.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// What the value is (`endpoint URL`, `Secrets Manager secret ARN`, …).
        what: &'static str,
        /// The value as given (never a secret).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request could not be signed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The service answered with an error.
    #[error("{operation} failed: {code}: {message} (HTTP {status})")]
    Service {
        /// `secretsmanager.GetSecretValue`, `AmazonSSM.GetParameter`, …
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The AWS error code (`ResourceNotFoundException`, `AccessDeniedException`, …).
        code: String,
        /// The service's message.
        message: String,
    },
    /// The request did not complete: connection refused, reset, timed out.
    #[error("{operation} failed: {message}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// What happened.
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("{operation} returned an unexpected answer: {message}")]
    Response {
        /// The operation.
        operation: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl Error {
    /// Whether another attempt may succeed: transport failures, throttling and server
    /// errors.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::ContainerCredentials(_) => true,
            Self::Service { status, code, .. } => {
                *status >= 500
                    || *status == 429
                    || code.contains("Throttl")
                    || code == "TooManyRequestsException"
                    || code == "RequestLimitExceeded"
            }
            _ => false,
        }
    }
}
