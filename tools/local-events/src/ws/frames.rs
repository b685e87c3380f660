//! The frames the server sends, exactly as AppSync Events clients read them
//! (`docs/local-endpoint.md` has the protocol): every reply carries the `id` it answers
//! and a specific `type`; `errors` only ever appear on the frame that failed.

use serde_json::{Value, json};

use crate::config::CONNECTION_TIMEOUT_MS;
use crate::publish::PublishedEvent;

/// `connection_ack`, with `connectionTimeoutMs` top-level (amplify-js reads it there) and
/// under `payload` (the Swift client reads it there).
pub fn connection_ack() -> Value {
    json!({
        "type": "connection_ack",
        "connectionTimeoutMs": CONNECTION_TIMEOUT_MS,
        "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS}
    })
}

/// Keep-alive.
pub fn ka() -> Value {
    json!({"type": "ka"})
}

/// `[{errorType, message}]`.
fn errors(error_type: &str, message: &str) -> Value {
    json!([{"errorType": error_type, "message": message}])
}

/// A refused connection. `UnauthorizedException` and `BadRequestException` are the types
/// amplify-js does not retry.
pub fn connection_error(error_type: &str, message: &str) -> Value {
    json!({"type": "connection_error", "errors": errors(error_type, message)})
}

/// A reply `<kind>_success` to message `id`.
pub fn success(kind: &str, id: &str) -> Value {
    json!({"id": id, "type": format!("{kind}_success")})
}

/// A reply `<kind>_error` to message `id`.
pub fn failure(kind: &str, id: &str, error_type: &str, message: &str) -> Value {
    json!({"id": id, "type": format!("{kind}_error"), "errors": errors(error_type, message)})
}

/// `publish_success` with the per-event identifiers.
pub fn publish_success(id: &str, successful: &[PublishedEvent]) -> Value {
    json!({"id": id, "type": "publish_success", "successful": successful, "failed": []})
}

/// An `error` frame for a message that cannot be answered with a specific type (unknown
/// type, not JSON); carries the message's `id` when it had one.
pub fn error(id: Option<&str>, error_type: &str, message: &str) -> Value {
    let mut frame = json!({"type": "error", "errors": errors(error_type, message)});
    if let Some(id) = id {
        frame["id"] = json!(id);
    }
    frame
}

/// One event for subscription `id`: `event` is the published JSON string, unchanged.
pub fn data(id: &str, event: &str) -> Value {
    json!({"id": id, "type": "data", "event": event})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ack_carries_the_timeout_top_level_and_in_payload() {
        let ack = connection_ack();
        assert_eq!(ack["connectionTimeoutMs"], 300_000);
        assert_eq!(ack["payload"]["connectionTimeoutMs"], 300_000);
    }

    #[test]
    fn data_frames_carry_the_event_as_a_string() {
        let frame = data("sub-1", "{\"a\":1}");
        assert_eq!(
            frame,
            json!({"id": "sub-1", "type": "data", "event": "{\"a\":1}"})
        );
    }

    #[test]
    fn replies_name_their_id_and_type_and_only_failures_carry_errors() {
        assert_eq!(
            success("subscribe", "x"),
            json!({"id": "x", "type": "subscribe_success"})
        );
        let failed = failure("publish", "y", "UnauthorizedException", "no");
        assert_eq!(failed["type"], "publish_error");
        assert_eq!(failed["id"], "y");
        assert_eq!(failed["errors"][0]["errorType"], "UnauthorizedException");
        assert!(error(None, "BadRequestException", "m").get("id").is_none());
        assert_eq!(error(Some("z"), "UnknownOperationError", "m")["id"], "z");
    }
}
