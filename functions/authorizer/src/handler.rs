//! One invocation: decide, log one structured line, answer.
//!
//! The event is taken as raw JSON text and read straight into the typed request
//! ([`AuthorizerRequest::from_json`]), without an intermediate `serde_json::Value` tree:
//! anything AppSync (or anyone else) sends still gets an answer — what cannot be
//! understood is denied, never turned into an invocation error.

use appsync_types::AuthorizerRequest;
use jwt_authz::{Authorizer, Response};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::value::RawValue;

use crate::metrics::{self, Metrics};

/// The longest channel text copied into a log line.
const MAX_LOGGED_CHANNEL: usize = 256;

/// Decides on `event`, logs the decision (never the token) and, when enabled, writes its
/// metrics line.
pub async fn handle(
    authorizer: &Authorizer,
    metrics: Option<&Metrics>,
    event: LambdaEvent<Box<RawValue>>,
) -> Result<Response, Error> {
    let request = AuthorizerRequest::from_json(event.payload.get()).ok();
    let decision = authorizer.decide(request.as_ref(), Authorizer::now()).await;
    let (flavour, operation, channel) = match &request {
        Some(AuthorizerRequest::Events(r)) => (
            "events",
            r.request_context.operation.as_str(),
            r.request_context.channel.as_deref().unwrap_or(""),
        ),
        Some(AuthorizerRequest::Graphql(r)) => (
            "graphql",
            r.request_context.operation_name.as_deref().unwrap_or(""),
            "",
        ),
        None => ("unknown", "", ""),
    };
    let channel = truncate(channel, MAX_LOGGED_CHANNEL);
    let appsync_request_id = request.as_ref().map_or("", AuthorizerRequest::request_id);
    let allowed = decision.response.is_authorized();
    let ttl = decision.response.ttl().unwrap_or(0);
    let micros = decision.elapsed.as_micros() as u64;
    let issuer = decision.issuer.unwrap_or("");
    let recent_token = decision.recent;
    if decision.denial.is_some_and(|d| d.is_infrastructure()) {
        tracing::warn!(
            decision = "deny", reason = decision.reason(), flavour, operation, channel, issuer, ttl,
            request_id = %event.context.request_id, appsync_request_id, verify_us = micros, recent_token,
            "authorization decision (dependency unavailable)"
        );
    } else {
        tracing::info!(
            decision = if allowed { "allow" } else { "deny" }, reason = decision.reason(), flavour, operation,
            channel, issuer, ttl, request_id = %event.context.request_id, appsync_request_id, verify_us = micros,
            recent_token, "authorization decision"
        );
    }
    if let Some(metrics) = metrics {
        metrics.record(authorizer, metrics::operation(request.as_ref()), &decision);
    }
    // Serialized straight to the response body (no intermediate JSON tree).
    Ok(decision.response)
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("ääb", 3), "ä");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
