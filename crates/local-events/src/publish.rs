//! `POST /event`: the AppSync Events HTTP publish API, with its validation rules and its
//! answers.
//!
//! A request is validated whole before anything is accepted, so a refused request
//! delivers nothing. Rules (AppSync Events `publish-http`): body
//! `{"channel": "/ns/…", "events": ["<JSON>", …]}`; 1 to [`MAX_EVENTS`] events, each a
//! string that holds valid JSON of at most [`MAX_EVENT_BYTES`]; the channel a valid
//! concrete path (the leading `/` may be missing, as in AWS's own HTTP example) in a
//! configured namespace.

use std::collections::BTreeSet;

use appsync_types::ChannelPath;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::{self, Auth};
use crate::bus::NewEvent;
use crate::error::Error;

/// The most events one publish request may carry.
pub const MAX_EVENTS: usize = 5;
/// The largest a single event may be, in bytes (240 KB).
pub const MAX_EVENT_BYTES: usize = 240 * 1024;
/// The largest request body read, in bytes. Five maximal events fit even when JSON string
/// escaping doubles them; the per-event limit is the rule that matters.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A publish request that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidPublish {
    /// The channel, with its leading `/`.
    pub channel: ChannelPath,
    /// The JSON-encoded events, in request order.
    pub events: Vec<String>,
}

/// One entry of `successful` (or `failed`) in the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedEvent {
    /// The identifier AppSync assigned to the event.
    pub identifier: String,
    /// The event's index in the request.
    pub index: usize,
}

/// The 200 answer: `{"successful": [...], "failed": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishResponse {
    /// Events accepted.
    pub successful: Vec<PublishedEvent>,
    /// Events refused individually (always empty here: a bad event refuses the request).
    pub failed: Vec<PublishedEvent>,
}

/// Validates a publish request body against the rules and the configured namespaces.
pub fn validate(body: &[u8], namespaces: &BTreeSet<String>) -> Result<ValidPublish, Error> {
    let bad = |m: String| Error::BadRequest(m);
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("the request body is not valid JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(bad(
            r#"the request body must be an object {"channel": …, "events": […]}"#.into(),
        ));
    };
    let channel = match object.get("channel") {
        Some(Value::String(c)) => c,
        Some(_) => return Err(bad("channel must be a string".into())),
        None => return Err(bad("channel is required".into())),
    };
    let channel = ChannelPath::parse_lenient(channel).map_err(|e| bad(e.to_string()))?;
    if channel.is_wildcard() {
        return Err(bad(format!(
            "channel {:?} is a wildcard; events can only be published to a concrete channel",
            channel.as_str()
        )));
    }
    if !namespaces.contains(channel.namespace()) {
        let configured: Vec<&str> = namespaces.iter().map(String::as_str).collect();
        return Err(bad(format!(
            "channel {:?} is not in a configured namespace (configured: {})",
            channel.as_str(),
            configured.join(", ")
        )));
    }
    let events = match object.get("events") {
        Some(Value::Array(events)) => events,
        Some(_) => return Err(bad("events must be an array of JSON-encoded strings".into())),
        None => return Err(bad("events is required".into())),
    };
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(bad(format!(
            "events must hold 1 to {MAX_EVENTS} events, got {}",
            events.len()
        )));
    }
    let mut valid = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let Value::String(event) = event else {
            return Err(bad(format!(
                "events[{index}] must be a string holding JSON (serialize each event, e.g. \
                 JSON.stringify), not a raw JSON value"
            )));
        };
        if event.len() > MAX_EVENT_BYTES {
            return Err(bad(format!(
                "events[{index}] is {} bytes; the limit is {MAX_EVENT_BYTES} bytes (240 KB)",
                event.len()
            )));
        }
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(event) {
            return Err(bad(format!("events[{index}] is not valid JSON: {e}")));
        }
        valid.push(event.clone());
    }
    Ok(ValidPublish {
        channel,
        events: valid,
    })
}

/// The `POST /event` handler.
pub async fn handle(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PublishResponse>, Error> {
    let result = accept(&state, &headers, &body);
    if let Err(error) = &result {
        tracing::warn!(
            status = error.status().as_u16(),
            error_type = error.error_type(),
            reason = %error,
            "publish refused"
        );
    }
    result.map(Json)
}

fn accept(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<PublishResponse, Error> {
    // Credentials first, as AppSync does: an unauthenticated request learns nothing about
    // whether its body would have been valid.
    let auth = auth::classify(headers, state.config.region.as_deref())?;
    let publish = validate(body, &state.config.namespaces)?;
    let signed_region = match &auth {
        Auth::Iam(scope) => {
            tracing::info!(
                channel = %publish.channel,
                auth_mode = auth.mode(),
                signed_region = %scope.region,
                signed_service = %scope.service,
                signed_date = %scope.date,
                events = publish.events.len(),
                "publish accepted (SigV4 scope parsed; signature not verified by this stand-in)"
            );
            Some(scope.region.clone())
        }
        Auth::Lambda => {
            tracing::info!(
                channel = %publish.channel,
                auth_mode = auth.mode(),
                events = publish.events.len(),
                "publish accepted (Lambda token not verified by this stand-in)"
            );
            None
        }
    };
    let successful = publish
        .events
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            let bytes = event.len();
            if tracing::enabled!(tracing::Level::DEBUG) {
                tracing::debug!(channel = %publish.channel, index, event = %event, "event body");
            }
            let new = NewEvent::new(publish.channel.clone(), index, event, auth.mode())
                .signed_for(signed_region.clone());
            let stored = state.bus.publish(new);
            tracing::info!(
                channel = %stored.channel,
                index,
                bytes,
                sequence = stored.sequence,
                identifier = %stored.identifier,
                "event received"
            );
            PublishedEvent {
                identifier: stored.identifier.clone(),
                index,
            }
        })
        .collect();
    Ok(PublishResponse {
        successful,
        failed: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn namespaces() -> BTreeSet<String> {
        BTreeSet::from(["default".to_owned()])
    }

    fn check(body: Value) -> Result<ValidPublish, Error> {
        validate(body.to_string().as_bytes(), &namespaces())
    }

    fn refusal(body: Value) -> String {
        match check(body.clone()) {
            Err(Error::BadRequest(message)) => message,
            other => panic!("{body} should be a bad request, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_publish_keeps_events_in_order() {
        let publish =
            check(json!({"channel": "/default/orders", "events": ["{\"a\":1}", "2", "\"s\""]}))
                .expect("valid");
        assert_eq!(publish.channel.as_str(), "/default/orders");
        assert_eq!(publish.events, ["{\"a\":1}", "2", "\"s\""]);
    }

    #[test]
    fn a_channel_without_leading_slash_is_accepted_like_the_aws_example() {
        let publish =
            check(json!({"channel": "default/channel", "events": ["{}"]})).expect("valid");
        assert_eq!(publish.channel.as_str(), "/default/channel");
    }

    #[test]
    fn more_than_five_or_zero_events_are_refused() {
        let six: Vec<&str> = vec!["{}"; 6];
        assert!(refusal(json!({"channel": "/default/a", "events": six})).contains("got 6"));
        assert!(refusal(json!({"channel": "/default/a", "events": []})).contains("got 0"));
        let five: Vec<&str> = vec!["{}"; 5];
        assert!(check(json!({"channel": "/default/a", "events": five})).is_ok());
    }

    #[test]
    fn events_must_be_strings_holding_json() {
        assert!(
            refusal(json!({"channel": "/default/a", "events": [{"a": 1}]}))
                .contains("events[0] must be a string")
        );
        assert!(
            refusal(json!({"channel": "/default/a", "events": ["{}", "not json"]}))
                .contains("events[1] is not valid JSON")
        );
    }

    #[test]
    fn an_event_over_240_kb_is_refused_and_one_at_the_limit_is_accepted() {
        let at_limit = format!("\"{}\"", "a".repeat(MAX_EVENT_BYTES - 2));
        assert!(check(json!({"channel": "/default/a", "events": [at_limit]})).is_ok());
        let over = format!("\"{}\"", "a".repeat(MAX_EVENT_BYTES - 1));
        assert!(
            refusal(json!({"channel": "/default/a", "events": [over]})).contains("limit is 245760")
        );
    }

    #[test]
    fn wildcards_invalid_paths_and_unknown_namespaces_are_refused() {
        assert!(refusal(json!({"channel": "/default/*", "events": ["{}"]})).contains("wildcard"));
        assert!(
            refusal(json!({"channel": "/default/a_b", "events": ["{}"]})).contains("characters")
        );
        assert!(
            refusal(json!({"channel": "/default/a/b/c/d/e", "events": ["{}"]}))
                .contains("segments")
        );
        assert!(
            refusal(json!({"channel": "/other/a", "events": ["{}"]}))
                .contains("configured: default")
        );
    }

    #[test]
    fn malformed_bodies_are_refused_with_the_reason() {
        assert!(validate(b"{", &namespaces()).is_err());
        assert!(refusal(json!([1])).contains("must be an object"));
        assert!(refusal(json!({"events": ["{}"]})).contains("channel is required"));
        assert!(
            refusal(json!({"channel": 1, "events": ["{}"]})).contains("channel must be a string")
        );
        assert!(refusal(json!({"channel": "/default/a"})).contains("events is required"));
        assert!(
            refusal(json!({"channel": "/default/a", "events": "{}"}))
                .contains("events must be an array")
        );
    }
}
