//! Request and response shapes of AWS AppSync Lambda authorizers, and AppSync Events
//! channel paths.
//!
//! `aws_lambda_events` has GraphQL authorizer types but none for AppSync **Events**
//! (aws-lambda-rust-runtime#940), and its GraphQL response serializes absent fields as
//! `null`. The types here are written to be upstreamable: lenient on input (unknown
//! fields ignored, optional fields defaulted), exact on output (absent optional fields are
//! omitted, never `null`).
//!
//! # API
//! - [`AuthorizerRequest`]: detects which flavour an incoming event is ([`RequestError`]
//!   when it is neither).
//! - Events: [`EventsAuthorizerRequest`] (`EVENT_CONNECT` / `EVENT_SUBSCRIBE` /
//!   `EVENT_PUBLISH`, [`EventsOperation`], [`EventsRequestContext`]) and the
//!   `{isAuthorized, handlerContext, ttlOverride}` [`EventsAuthorizerResponse`].
//! - GraphQL: [`GraphqlAuthorizerRequest`] ([`GraphqlRequestContext`]) and the
//!   `{isAuthorized, resolverContext, deniedFields, ttlOverride}`
//!   [`GraphqlAuthorizerResponse`].
//! - [`ChannelPath`] (`/namespace/a/b`, `/ns/*`) and [`ChannelError`]; the grammar itself
//!   (segment rules and limits, for callers that build paths) is the one public module,
//!   [`channel`].
//!
//! # Layout
//! `events.rs`, `graphql.rs`, `path.rs` (`ChannelPath`), `channel.rs` (the grammar).

#![warn(missing_docs, unreachable_pub)]

pub mod channel;
mod events;
mod graphql;
mod path;

pub use events::{
    EventsAuthorizerRequest, EventsAuthorizerResponse, EventsOperation, EventsRequestContext,
};
pub use graphql::{GraphqlAuthorizerRequest, GraphqlAuthorizerResponse, GraphqlRequestContext};
pub use path::{ChannelError, ChannelPath};

use serde_json::Value;

/// An authorizer invocation, with its flavour detected from `requestContext`.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizerRequest {
    /// An AppSync Events request (`requestContext.operation` is present).
    Events(EventsAuthorizerRequest),
    /// An AppSync GraphQL request (`requestContext.queryString` is present).
    Graphql(GraphqlAuthorizerRequest),
}

/// Why an incoming event could not be understood as an authorizer request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The event is not a JSON object.
    #[error("event is not a JSON object")]
    NotAnObject,
    /// The event has no `requestContext` object.
    #[error("event has no requestContext object")]
    MissingRequestContext,
    /// `requestContext` has neither `operation` (Events) nor `queryString` (GraphQL).
    #[error("requestContext has neither operation (Events) nor queryString (GraphQL)")]
    UnknownFlavour,
    /// The event has the right keys but a field has the wrong type.
    #[error("malformed event: {0}")]
    Malformed(String),
}

impl AuthorizerRequest {
    /// Detects the flavour of `event` and deserializes it.
    ///
    /// Events requests are recognised by `requestContext.operation`, GraphQL requests by
    /// `requestContext.queryString` (AppSync sends it, possibly empty, for every GraphQL
    /// authorization, including subscriptions). Unknown fields are ignored.
    pub fn from_value(event: &Value) -> Result<Self, RequestError> {
        let object = event.as_object().ok_or(RequestError::NotAnObject)?;
        let context = object
            .get("requestContext")
            .and_then(Value::as_object)
            .ok_or(RequestError::MissingRequestContext)?;
        let malformed = |e: serde_json::Error| RequestError::Malformed(e.to_string());
        if context.contains_key("operation") {
            EventsAuthorizerRequest::deserialize_from(event)
                .map(Self::Events)
                .map_err(malformed)
        } else if context.contains_key("queryString") {
            GraphqlAuthorizerRequest::deserialize_from(event)
                .map(Self::Graphql)
                .map_err(malformed)
        } else {
            Err(RequestError::UnknownFlavour)
        }
    }

    /// [`from_value`](Self::from_value) for the event's JSON text, without building a
    /// [`Value`] tree first: a cheap pass that skips every value but `requestContext`'s
    /// keys picks the flavour, then one typed pass reads the request. Same flavour rules;
    /// stricter only in that a repeated top-level member (two `authorizationToken`s) is
    /// refused rather than "last one wins".
    ///
    /// # Errors
    /// As [`from_value`](Self::from_value); text that is not JSON is
    /// [`RequestError::Malformed`].
    pub fn from_json(json: &str) -> Result<Self, RequestError> {
        use serde::Deserialize;
        use serde::de::IgnoredAny;

        fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
            IgnoredAny::deserialize(deserializer).map(|_| true)
        }
        #[derive(Deserialize)]
        struct ContextKeys {
            #[serde(default, deserialize_with = "present")]
            operation: bool,
            #[serde(default, rename = "queryString", deserialize_with = "present")]
            query_string: bool,
        }
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default, rename = "requestContext")]
            request_context: Option<ContextKeys>,
        }

        if !json.trim_start().starts_with('{') {
            return Err(if serde_json::from_str::<IgnoredAny>(json).is_ok() {
                RequestError::NotAnObject
            } else {
                RequestError::Malformed("not JSON".to_owned())
            });
        }
        let malformed = |e: serde_json::Error| RequestError::Malformed(e.to_string());
        let context = match serde_json::from_str::<Probe>(json) {
            Ok(probe) => probe.request_context,
            Err(e) if e.is_syntax() || e.is_eof() => return Err(malformed(e)),
            // A `requestContext` that is not an object.
            Err(_) => None,
        }
        .ok_or(RequestError::MissingRequestContext)?;
        if context.operation {
            serde_json::from_str(json)
                .map(Self::Events)
                .map_err(malformed)
        } else if context.query_string {
            serde_json::from_str(json)
                .map(Self::Graphql)
                .map_err(malformed)
        } else {
            Err(RequestError::UnknownFlavour)
        }
    }

    /// The raw `authorizationToken` of either flavour (empty when absent).
    pub fn authorization_token(&self) -> &str {
        match self {
            Self::Events(r) => &r.authorization_token,
            Self::Graphql(r) => &r.authorization_token,
        }
    }

    /// The `requestContext.requestId` of either flavour.
    pub fn request_id(&self) -> &str {
        match self {
            Self::Events(r) => &r.request_context.request_id,
            Self::Graphql(r) => &r.request_context.request_id,
        }
    }
}

/// `null` and absent both mean "default" on input: AppSync is not consistent about which
/// one it sends for optional fields.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_request_is_detected_by_operation() {
        let event =
            json!({"authorizationToken": "t", "requestContext": {"operation": "EVENT_CONNECT"}});
        assert!(matches!(
            AuthorizerRequest::from_value(&event),
            Ok(AuthorizerRequest::Events(_))
        ));
    }

    #[test]
    fn graphql_request_is_detected_by_query_string() {
        let event = json!({"authorizationToken": "t", "requestContext": {"queryString": ""}});
        assert!(matches!(
            AuthorizerRequest::from_value(&event),
            Ok(AuthorizerRequest::Graphql(_))
        ));
    }

    #[test]
    fn non_objects_and_unknown_flavours_are_errors_not_panics() {
        assert_eq!(
            AuthorizerRequest::from_value(&json!([1])),
            Err(RequestError::NotAnObject)
        );
        assert_eq!(
            AuthorizerRequest::from_value(&json!({})),
            Err(RequestError::MissingRequestContext)
        );
        assert_eq!(
            AuthorizerRequest::from_value(&json!({"requestContext": {"apiId": "x"}})),
            Err(RequestError::UnknownFlavour)
        );
        assert!(matches!(
            AuthorizerRequest::from_value(&json!({"requestContext": {"operation": 5}})),
            Err(RequestError::Malformed(_))
        ));
    }

    /// `from_json` must decide exactly as `from_value` (the path it replaces in the
    /// function): every sample event of the repository, and the edge cases above.
    #[test]
    fn from_json_agrees_with_from_value() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/authorizer");
        let mut events: Vec<String> = std::fs::read_dir(dir)
            .expect("sample events")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| {
                path.extension().is_some_and(|e| e == "json")
                    && !path.to_string_lossy().ends_with(".expected.json")
            })
            .map(|path| std::fs::read_to_string(path).expect("readable"))
            .collect();
        assert!(events.len() >= 5, "samples found: {}", events.len());
        events.extend(
            [
                "[1]",
                "\"text\"",
                "null",
                "{}",
                r#"{"requestContext": null}"#,
                r#"{"requestContext": 5}"#,
                r#"{"requestContext": {"apiId": "x"}}"#,
                r#"{"requestContext": {"operation": 5}}"#,
                r#"{"requestContext": {"operation": null}}"#,
                r#"{"requestContext": {"queryString": null, "operationName": null}}"#,
                r#"{"authorizationToken": 7, "requestContext": {"operation": "EVENT_CONNECT"}}"#,
                r#"  {"authorizationToken": "t", "requestContext": {"operation": "EVENT_PUBLISH", "channel": "/a/b"}, "extra": [1, {"x": null}]}"#,
            ]
            .map(str::to_owned),
        );
        for event in &events {
            let value: Value = serde_json::from_str(event).expect("valid JSON");
            let by_value = AuthorizerRequest::from_value(&value);
            let by_text = AuthorizerRequest::from_json(event);
            match (&by_value, &by_text) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{event}"),
                (Err(a), Err(b)) => assert_eq!(
                    std::mem::discriminant(a),
                    std::mem::discriminant(b),
                    "{event}: {a} / {b}"
                ),
                _ => panic!("{event}: {by_value:?} vs {by_text:?}"),
            }
        }
    }

    #[test]
    fn from_json_refuses_a_repeated_token() {
        let event = r#"{"authorizationToken": "a", "authorizationToken": "b",
                        "requestContext": {"operation": "EVENT_CONNECT"}}"#;
        assert!(matches!(
            AuthorizerRequest::from_json(event),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            AuthorizerRequest::from_json("{not json"),
            Err(RequestError::Malformed(_))
        ));
    }
}
