//! One invocation: decide, log one structured line, answer.
//!
//! The event is taken as raw JSON so that anything AppSync (or anyone else) sends gets an
//! answer: what cannot be understood is denied, never turned into an invocation error.

use jwt_authz::{Authorizer, Response};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// The longest channel text copied into a log line.
const MAX_LOGGED_CHANNEL: usize = 256;

/// Decides on `event` and logs the decision (never the token).
pub async fn handle(authorizer: &Authorizer, event: LambdaEvent<Value>) -> Result<Response, Error> {
    let decision = authorizer.authorize(&event.payload).await;
    let context = event.payload.get("requestContext");
    let field = |name: &str| context.and_then(|c| c.get(name)).and_then(Value::as_str);
    let flavour = match context {
        Some(c) if c.get("operation").is_some() => "events",
        Some(c) if c.get("queryString").is_some() => "graphql",
        _ => "unknown",
    };
    let operation = field("operation").or(field("operationName")).unwrap_or("");
    let channel = field("channel")
        .map(|c| truncate(c, MAX_LOGGED_CHANNEL))
        .unwrap_or("");
    let appsync_request_id = field("requestId").unwrap_or("");
    let allowed = decision.response.is_authorized();
    let ttl = decision.response.ttl().unwrap_or(0);
    let micros = decision.elapsed.as_micros() as u64;
    let issuer = decision.issuer.unwrap_or("");
    if decision.denial.is_some_and(|d| d.is_infrastructure()) {
        tracing::warn!(
            decision = "deny", reason = decision.reason(), flavour, operation, channel, issuer, ttl,
            request_id = %event.context.request_id, appsync_request_id, verify_us = micros,
            "authorization decision (dependency unavailable)"
        );
    } else {
        tracing::info!(
            decision = if allowed { "allow" } else { "deny" }, reason = decision.reason(), flavour, operation,
            channel, issuer, ttl, request_id = %event.context.request_id, appsync_request_id, verify_us = micros,
            "authorization decision"
        );
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
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ääb", 3), "ä");
    }
}
