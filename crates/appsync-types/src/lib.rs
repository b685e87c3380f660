//! Request and response shapes of AWS AppSync Lambda authorizers, and AppSync Events
//! channel paths.
//!
//! `aws_lambda_events` has GraphQL authorizer types but none for AppSync **Events**
//! (aws-lambda-rust-runtime#940), and its GraphQL response serializes absent fields as
//! `null`. The types here are written to be upstreamable: lenient on input (unknown
//! fields ignored, optional fields defaulted), exact on output (absent optional fields are
//! omitted, never `null`).
//!
//! # Layout
//! - [`events`]: `EVENT_CONNECT` / `EVENT_SUBSCRIBE` / `EVENT_PUBLISH` requests and the
//!   `{isAuthorized, handlerContext, ttlOverride}` response.
//! - [`graphql`]: GraphQL authorizer requests and the
//!   `{isAuthorized, resolverContext, deniedFields, ttlOverride}` response.
//! - [`channel`]: parsing and validation of channel paths (`/namespace/a/b`, `/ns/*`).
//! - [`AuthorizerRequest`]: detects which flavour an incoming event is.

pub mod channel;
pub mod events;
pub mod graphql;

pub use channel::{ChannelError, ChannelPath};
pub use events::{
    EventsAuthorizerRequest, EventsAuthorizerResponse, EventsOperation, EventsRequestContext,
};
pub use graphql::{GraphqlAuthorizerRequest, GraphqlAuthorizerResponse, GraphqlRequestContext};

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
}
