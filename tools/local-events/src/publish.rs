//! `POST /event`: the AppSync Events HTTP publish API, with its validation rules, its
//! authorization and its answers.
//!
//! Rules (AppSync Events `publish-http`): body `{"channel": "/ns/…", "events": ["<JSON>",
//! …]}`; the channel a valid concrete path (the leading `/` may be missing, as in AWS's
//! own HTTP example) in a configured namespace; 1 to [`MAX_EVENTS`] events, each a string
//! that holds valid JSON of at most [`MAX_EVENT_BYTES`]. The channel is checked first (its
//! namespace decides the auth modes), then the credentials, then the events; a refused
//! request delivers nothing. Answers: 200 `{successful, failed}`, 400
//! `BadRequestException`, 401 `UnauthorizedException`, 403 `InvalidSignatureException` —
//! never a 5xx for a refusal (clients retry those).

use std::collections::HashMap;

use appsync_types::{ChannelPath, EventsOperation};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::AppState;
use crate::authz::{Denial, Subject};
use crate::bus::{Bus, NewEvent};
use crate::error::Error;
use crate::modes::{AuthMode, EventConfig};
use testkit::sigv4::RequestParts;

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

fn bad(message: String) -> Error {
    Error::BadRequest(message)
}

/// Parses a body that must be a JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Error> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("the request body is not valid JSON: {e}")))?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(bad(
            r#"the request body must be an object {"channel": …, "events": […]}"#.into(),
        )),
    }
}

/// The concrete channel of a publish, in a configured namespace.
pub fn validate_channel(
    object: &Map<String, Value>,
    events: &EventConfig,
) -> Result<ChannelPath, Error> {
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
    check_namespace(&channel, events)?;
    Ok(channel)
}

/// Refuses a channel outside the configured namespaces.
pub fn check_namespace(channel: &ChannelPath, events: &EventConfig) -> Result<(), Error> {
    if events.has_namespace(channel.namespace()) {
        return Ok(());
    }
    Err(bad(format!(
        "channel {:?} is not in a configured namespace (configured: {})",
        channel.as_str(),
        events.namespace_list()
    )))
}

/// The events of a publish: 1 to 5 strings of valid JSON, each at most 240 KB.
pub fn validate_events(object: &Map<String, Value>) -> Result<Vec<String>, Error> {
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
    Ok(valid)
}

/// Validates a whole publish body (channel and events) without authorizing it.
pub fn validate(body: &[u8], events: &EventConfig) -> Result<ValidPublish, Error> {
    let object = parse_object(body)?;
    let channel = validate_channel(&object, events)?;
    let events = validate_events(&object)?;
    Ok(ValidPublish { channel, events })
}

/// Puts validated events on the bus, logging each, and returns the `successful` list.
pub fn deliver(
    bus: &Bus,
    publish: ValidPublish,
    mode: AuthMode,
    signed_region: Option<String>,
) -> Vec<PublishedEvent> {
    let channel = publish.channel;
    publish
        .events
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            let bytes = event.len();
            if tracing::enabled!(tracing::Level::DEBUG) {
                tracing::debug!(%channel, index, event = %event, "event body");
            }
            let new = NewEvent::new(channel.clone(), index, event, mode.as_str())
                .signed_for(signed_region.clone());
            let stored = bus.publish(new);
            tracing::info!(
                channel = %stored.channel,
                index,
                bytes,
                sequence = stored.sequence,
                identifier = %stored.identifier,
                auth_mode = mode.as_str(),
                "event received"
            );
            PublishedEvent {
                identifier: stored.identifier.clone(),
                index,
            }
        })
        .collect()
}

/// The `POST /event` handler.
pub async fn handle(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PublishResponse>, Error> {
    let result = accept(&state, &uri, &headers, &body).await;
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

async fn accept(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<PublishResponse, Error> {
    let object = parse_object(body)?;
    let channel = validate_channel(&object, &state.config.events)?;
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request_headers: HashMap<String, String> = pairs.iter().cloned().collect();
    let subject = Subject {
        operation: EventsOperation::Publish,
        channel: Some(&channel),
        allowed: state.config.events.publish_modes(channel.namespace()),
        parts: RequestParts {
            method: "POST",
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers: pairs,
            body,
        },
        request_headers,
    };
    let allowed = state
        .authz
        .decide(subject)
        .await
        .map_err(|denial| match denial {
            Denial::InvalidSignature(m) => Error::InvalidSignature(m),
            Denial::Unauthorized(m) => Error::Unauthorized(m),
        })?;
    let events = validate_events(&object)?;
    let count = events.len();
    let successful = deliver(
        &state.bus,
        ValidPublish {
            channel: channel.clone(),
            events,
        },
        allowed.mode,
        allowed.signed_region,
    );
    tracing::info!(%channel, events = count, auth_mode = allowed.mode.as_str(), "publish accepted (HTTP)");
    Ok(PublishResponse {
        successful,
        failed: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn namespaces() -> EventConfig {
        EventConfig::default()
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
