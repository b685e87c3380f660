//! The `authorizer` Lambda function: an AppSync Events and GraphQL Lambda authorizer that
//! verifies third-party JWTs.
//!
//! Thin by design: configuration is read once ([`config`]), the verifier is built and its
//! keys prefetched once, then every invocation is a pure in-memory decision by
//! [`jwt_authz::Authorizer`] ([`handler`]). Secrets Manager / SSM are only touched at init
//! and only when configured ([`secrets`]).

mod handler;
mod logging;
mod metrics;

use std::sync::Arc;

use authorizer::{config, secrets};
use jwt_authz::Authorizer;
use jwt_authz::Dependencies;
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{Error, Runtime, service_fn};

fn main() -> Result<(), Error> {
    // One thread unless Lambda runs several invocations at once (managed instances): a
    // sequential function on a multi-thread runtime pays cross-thread wake-ups on every
    // invocation (BENCHMARKS.md: about half the CPU per warm invocation).
    let concurrent = std::env::var("AWS_LAMBDA_MAX_CONCURRENCY")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .is_some_and(|n| n > 1);
    let mut builder = if concurrent {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build()?.block_on(run())
}

async fn run() -> Result<(), Error> {
    let json_logs = logging::init();

    // One HTTP client for key sets and AWS calls: TLS roots are loaded once.
    let fetcher = match config::http_fetcher(&config::process_env) {
        Ok(fetcher) => fetcher,
        Err(error) => {
            tracing::error!(%error, "invalid authorizer configuration");
            return Err(error.into());
        }
    };
    let loaded = match config::load(&config::process_env, fetcher.http_client()).await {
        Ok(loaded) => loaded,
        Err(error) => {
            // The message names the variable at fault; the cold start stops here.
            tracing::error!(%error, "invalid authorizer configuration");
            return Err(error.into());
        }
    };
    let deps = Dependencies {
        fetcher: Arc::new(fetcher),
        secrets: secrets::provider(loaded.aws.clone()),
        jwks_policy: loaded.jwks_policy,
    };
    let authorizer = match Authorizer::new(&loaded.config, &deps) {
        Ok(authorizer) => authorizer,
        Err(error) => {
            let error = loaded.name_error(error);
            tracing::error!(%error, "invalid authorizer configuration");
            return Err(error.into());
        }
    };
    for issuer in authorizer.verifier().issuers() {
        tracing::info!(
            issuer = issuer.iss(),
            profile = issuer.profile().as_str(),
            source = loaded.source,
            "issuer configured"
        );
    }
    let metrics = match config::metrics(&config::process_env) {
        Ok(settings) => {
            settings.map(|(namespace, function)| metrics::Metrics::new(namespace, function))
        }
        Err(error) => {
            tracing::error!(%error, "invalid authorizer configuration");
            return Err(error.into());
        }
    };
    authorizer.prefetch().await;

    // 'static so concurrent workers (Lambda managed instances) can share them.
    let authorizer: &'static Authorizer = Box::leak(Box::new(authorizer));
    let metrics: Option<&'static metrics::Metrics> = metrics.map(|m| &*Box::leak(Box::new(m)));
    let runtime = Runtime::new(service_fn(move |event| {
        handler::handle(authorizer, metrics, event)
    }));
    if json_logs {
        // No per-invocation span: JSON lines never print it (logging.rs), yet creating and
        // recording it was about 5 % of a warm RS256 invocation's instructions (BENCHMARKS.md).
        // The decision line carries the request id itself.
        runtime.run_concurrent().await
    } else {
        // Text lines show the span, so every line of an invocation names its request id.
        runtime.layer(TracingLayer::new()).run_concurrent().await
    }
}
