//! The log subscriber: lambda_runtime's default (honours `AWS_LAMBDA_LOG_FORMAT=JSON` and
//! `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG`), with one change: lambda_runtime logs every raw
//! event at TRACE ("raw JSON event received from Lambda"), and an authorizer event carries
//! the bearer token. That one target is capped at DEBUG whatever level is configured, so no
//! log level ever prints a token. Text lines carry ANSI colour codes only when stdout is a
//! terminal: in CloudWatch (or any pipe or file) they would show as escape sequences.

use std::io::IsTerminal;
use std::str::FromStr;

use lambda_runtime::tracing::subscriber;
use subscriber::filter::{Directive, EnvFilter, LevelFilter};

/// The lambda_runtime target that logs raw events at TRACE.
const RAW_EVENT_TARGET: &str = "lambda_runtime::layers::api_response=debug";

/// Installs the global subscriber. Returns whether lines are JSON (`AWS_LAMBDA_LOG_FORMAT`).
pub fn init() -> bool {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG"));
    let level =
        LevelFilter::from_str(level.as_deref().unwrap_or("INFO")).unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    if let Ok(directive) = Directive::from_str(RAW_EVENT_TARGET) {
        filter = filter.add_directive(directive);
    }
    let collector = subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_target(false)
        .without_time()
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        // lambda_runtime opens a span per invocation; serializing it into every line cost
        // about 1 % of a warm invocation (BENCHMARKS.md) and repeated the request id the
        // decision line already carries.
        collector
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .init();
    } else {
        collector.init();
    }
    json
}
