//! The function's error type: init failures (which stop the cold start) and invocation
//! failures (which Lambda reports to the caller, or hands to EventBridge's retry policy).

use lambda_runtime::Diagnostic;

/// Why init or an invocation failed. Messages name the environment variable or input at
/// fault and never contain credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FunctionError {
    /// An environment variable is missing, malformed or inconsistent.
    #[error("invalid configuration: {name}: {reason}")]
    Config {
        /// The variable at fault.
        name: &'static str,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The default credential chain produced no credentials.
    #[error("no usable AWS credentials: {0}")]
    Credentials(String),
    /// The publisher could not be built (e.g. the HTTP client).
    #[error("cannot initialise the publisher: {0}")]
    Init(String),
    /// The payload is none of the supported shapes (direct, SQS, EventBridge, streams).
    #[error(
        "unrecognized input: {0}; expected {{\"channel\",\"events\"}}, an array of those, or an SQS, EventBridge, DynamoDB Streams or Kinesis event"
    )]
    UnrecognizedInput(String),
    /// The payload has a supported shape but is malformed; nothing was sent.
    #[error("invalid input: {0}; nothing was published")]
    InvalidInput(String),
    /// Some events were not published (EventBridge input: the error makes EventBridge
    /// retry, then use its dead-letter queue).
    #[error("{failed} event(s) not published ({published} published); first failure: {first}")]
    PublishIncomplete {
        /// Events confirmed published.
        published: usize,
        /// Events not published.
        failed: usize,
        /// The first failure, `channel[index]: reason`.
        first: String,
    },
}

impl From<FunctionError> for Diagnostic {
    fn from(error: FunctionError) -> Self {
        let error_type = match &error {
            FunctionError::Config { .. } => "InvalidConfiguration",
            FunctionError::Credentials(_) => "NoCredentials",
            FunctionError::Init(_) => "InitFailed",
            FunctionError::UnrecognizedInput(_) => "UnrecognizedInput",
            FunctionError::InvalidInput(_) => "InvalidInput",
            FunctionError::PublishIncomplete { .. } => "PublishIncomplete",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}
