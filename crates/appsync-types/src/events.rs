//! AppSync **Events** Lambda authorizer request and response.
//!
//! AppSync calls the authorizer with `EVENT_CONNECT` on WebSocket connect, `EVENT_SUBSCRIBE`
//! for each `subscribe` message and `EVENT_PUBLISH` for each WebSocket `publish` message and
//! each HTTP `POST /event`. On connect, `channel` and `channelNamespaceName` may be absent,
//! `null` or empty: all three deserialize to `None`.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::null_as_default;

/// The operation an Events authorizer is asked about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventsOperation {
    /// WebSocket connection handshake.
    Connect,
    /// A WebSocket `subscribe` message.
    Subscribe,
    /// A WebSocket `publish` message or an HTTP `POST /event`.
    Publish,
    /// Any other value: kept so the caller can deny it with a precise reason.
    Unknown(String),
}

impl EventsOperation {
    /// The wire name (`EVENT_CONNECT`, …).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Connect => "EVENT_CONNECT",
            Self::Subscribe => "EVENT_SUBSCRIBE",
            Self::Publish => "EVENT_PUBLISH",
            Self::Unknown(other) => other,
        }
    }
}

impl fmt::Display for EventsOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for EventsOperation {
    fn from(value: String) -> Self {
        match value.as_str() {
            "EVENT_CONNECT" => Self::Connect,
            "EVENT_SUBSCRIBE" => Self::Subscribe,
            "EVENT_PUBLISH" => Self::Publish,
            _ => Self::Unknown(value),
        }
    }
}

impl<'de> Deserialize<'de> for EventsOperation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

impl Serialize for EventsOperation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The event an AppSync Events API sends to its Lambda authorizer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsAuthorizerRequest {
    /// The client's `Authorization` value, verbatim (may carry a prefix or suffix).
    #[serde(default, deserialize_with = "null_as_default")]
    pub authorization_token: String,
    /// Which API, request and operation this is.
    pub request_context: EventsRequestContext,
    /// The request's application headers, keys as the client sent them.
    #[serde(default, deserialize_with = "null_as_default")]
    pub request_headers: HashMap<String, String>,
}

/// `requestContext` of an Events authorizer request.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsRequestContext {
    /// The AppSync API id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub api_id: String,
    /// The AWS account id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub account_id: String,
    /// AppSync's request id, used to correlate logs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub request_id: String,
    /// The operation being authorized.
    pub operation: EventsOperation,
    /// The namespace of `channel`; `None` on connect.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_namespace_name: Option<String>,
    /// The channel path (may be a wildcard such as `/ns/*` on subscribe); `None` on connect.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel: Option<String>,
}

fn empty_as_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.filter(|s| !s.is_empty()))
}

impl EventsAuthorizerRequest {
    /// Deserializes from a JSON value without taking ownership of it.
    pub fn deserialize_from(value: &Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(value)
    }
}

/// The answer an Events authorizer returns.
///
/// `handlerContext` is a flat string→string map: it reaches handlers as
/// `ctx.identity.handlerContext`, and nested values are not documented to be supported.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsAuthorizerResponse {
    /// Allow or deny.
    pub is_authorized: bool,
    /// Identity facts for handlers; omitted when empty.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub handler_context: HashMap<String, String>,
    /// Seconds AppSync may cache this answer; `0` means never. Omitted when `None`, in which
    /// case the API's `AuthorizerResultTtlInSeconds` applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_override: Option<u64>,
}

impl EventsAuthorizerResponse {
    /// A deny that AppSync must not cache.
    pub fn deny() -> Self {
        Self {
            is_authorized: false,
            handler_context: HashMap::new(),
            ttl_override: Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documented_example_deserializes() {
        let event = json!({
            "authorizationToken": "ExampleAUTHtoken123123123",
            "requestContext": {
                "apiId": "aaaaaa123123123example123",
                "accountId": "111122223333",
                "requestId": "f4081827-1111-4444-5555-5cf4695f339f",
                "operation": "EVENT_PUBLISH",
                "channelNamespaceName": "news",
                "channel": "/news/latest"
            },
            "requestHeaders": {"header": "value"}
        });
        let request = EventsAuthorizerRequest::deserialize_from(&event).expect("valid");
        assert_eq!(request.request_context.operation, EventsOperation::Publish);
        assert_eq!(
            request.request_context.channel.as_deref(),
            Some("/news/latest")
        );
        assert_eq!(request.request_headers["header"], "value");
    }

    #[test]
    fn connect_channel_absent_null_or_empty_is_none() {
        for context in [
            json!({"operation": "EVENT_CONNECT"}),
            json!({"operation": "EVENT_CONNECT", "channel": null, "channelNamespaceName": null}),
            json!({"operation": "EVENT_CONNECT", "channel": "", "channelNamespaceName": ""}),
        ] {
            let request =
                EventsAuthorizerRequest::deserialize_from(&json!({"requestContext": context}))
                    .expect("valid");
            assert_eq!(request.request_context.channel, None);
            assert_eq!(request.request_context.channel_namespace_name, None);
            assert_eq!(request.authorization_token, "");
        }
    }

    #[test]
    fn unknown_operation_is_kept_not_rejected() {
        let request = EventsAuthorizerRequest::deserialize_from(
            &json!({"requestContext": {"operation": "EVENT_FOO"}}),
        )
        .expect("valid");
        assert_eq!(
            request.request_context.operation,
            EventsOperation::Unknown("EVENT_FOO".into())
        );
    }

    #[test]
    fn response_omits_empty_context_and_absent_ttl() {
        let allow = EventsAuthorizerResponse {
            is_authorized: true,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&allow).expect("serializes"),
            json!({"isAuthorized": true})
        );
        assert_eq!(
            serde_json::to_value(EventsAuthorizerResponse::deny()).expect("serializes"),
            json!({"isAuthorized": false, "ttlOverride": 0})
        );
    }
}
