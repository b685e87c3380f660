//! The log subscriber: lambda_runtime's default (honours `AWS_LAMBDA_LOG_FORMAT=JSON` and
//! `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG`), except that text lines carry ANSI colour codes
//! only when stdout is a terminal: in CloudWatch (or any pipe or file) they would show as
//! escape sequences.

use std::io::IsTerminal;
use std::str::FromStr;

use lambda_runtime::tracing::subscriber;
use subscriber::filter::{EnvFilter, LevelFilter};

/// Installs the global subscriber.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG"));
    let level =
        LevelFilter::from_str(level.as_deref().unwrap_or("INFO")).unwrap_or(LevelFilter::INFO);
    let collector = subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_target(false)
        .without_time()
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(level.into())
                .from_env_lossy(),
        );
    if std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        // The current span (the invocation's requestId and X-Ray trace id) is on every
        // line; the list of enclosing spans would only repeat it.
        collector.json().with_span_list(false).init();
    } else {
        collector.init();
    }
}
