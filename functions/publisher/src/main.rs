//! `publisher`: an AWS Lambda function that publishes server-originated events to an
//! AppSync Events API over HTTP, SigV4-signed with the function's execution role.
//!
//! Inputs: a direct invoke, an SQS batch, an EventBridge event, or a DynamoDB Streams or
//! Kinesis batch (see [`handler`]).
//! Configuration: environment variables, read once at init (see [`config`]). The work —
//! validation, batching, signing, sending, retries — is the `events-publisher` library;
//! this crate only wires it to Lambda.
//!
//! # Layout
//! - `main.rs`: init (config, AWS credentials, endpoint, HTTP client — all once),
//!   then the runtime loop.
//! - [`config`]: environment → typed configuration → [`events_publisher::Publisher`].
//! - [`input`]: recognizing direct, SQS and EventBridge inputs.
//! - [`handler`]: publishing and the answer for each input kind.
//! - [`streams`]: DynamoDB Streams and Kinesis batches, published with stream semantics.
//! - [`streams_config`]: the stream triggers' channel patterns.
//! - [`error`]: the crate's error type, [`error::FunctionError`].
//! - [`logging`]: the log subscriber (JSON or text; colour only on a terminal).
//! - [`metrics`]: CloudWatch EMF lines (events published, failed, retried; latency).

mod config;
mod error;
mod handler;
mod input;
mod logging;
mod metrics;
mod streams;
mod streams_config;

use lambda_runtime::{Error, service_fn};

use crate::config::Config;

// One thread: invocations arrive one at a time, and the requests of a batch are I/O that
// one thread interleaves. A multi-thread runtime pays cross-thread wake-ups on every
// request (BENCHMARKS.md: about a third of the CPU of a one-event publish).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Honours AWS_LAMBDA_LOG_FORMAT (JSON) and AWS_LAMBDA_LOG_LEVEL / RUST_LOG.
    logging::init();

    let (publisher, metrics, streams) = match init().await {
        Ok(built) => built,
        Err(error) => {
            // Lambda records the exit as an init failure; this line says why.
            tracing::error!(error = %error, "init failed");
            return Err(error.into());
        }
    };
    let (publisher, metrics, streams) = (&publisher, metrics.as_ref(), &streams);
    lambda_runtime::run(service_fn(move |event| {
        handler::handle(publisher, metrics, streams, event)
    }))
    .await
}

type Initialized = (
    events_publisher::Publisher,
    Option<metrics::Metrics>,
    streams_config::StreamsConfig,
);

async fn init() -> Result<Initialized, error::FunctionError> {
    let mut config = Config::from_env()?;
    let streams = std::mem::take(&mut config.streams);
    let metrics = config
        .metrics
        .take()
        .map(|(namespace, function)| metrics::Metrics::new(namespace, function));
    Ok((config::build_publisher(config).await?, metrics, streams))
}
