//! AppSync **GraphQL** Lambda authorizer request and response.
//!
//! Unlike `aws_lambda_events`' types, the response omits `deniedFields` when empty and
//! `ttlOverride` when absent instead of sending `null`, and the request keeps
//! `requestHeaders`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::null_as_default;

/// The event an AppSync GraphQL API sends to its Lambda authorizer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlAuthorizerRequest {
    /// The client's `Authorization` value, verbatim.
    #[serde(default, deserialize_with = "null_as_default")]
    pub authorization_token: String,
    /// Which API, request and operation this is.
    pub request_context: GraphqlRequestContext,
    /// The request's application headers.
    #[serde(default, deserialize_with = "null_as_default")]
    pub request_headers: HashMap<String, String>,
}

/// `requestContext` of a GraphQL authorizer request.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlRequestContext {
    /// The AppSync API id.
    #[serde(default, rename = "apiId", deserialize_with = "null_as_default")]
    pub api_id: String,
    /// The AWS account id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub account_id: String,
    /// AppSync's request id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub request_id: String,
    /// The GraphQL document (may be empty, e.g. for some subscription authorizations).
    #[serde(default, deserialize_with = "null_as_default")]
    pub query_string: String,
    /// The operation name, when the client sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    /// The operation's variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Value>,
}

impl GraphqlAuthorizerRequest {
    /// Deserializes from a JSON value without taking ownership of it.
    pub fn deserialize_from(value: &Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(value)
    }
}

/// The answer a GraphQL authorizer returns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlAuthorizerResponse {
    /// Allow or deny.
    pub is_authorized: bool,
    /// Identity facts for resolvers (`ctx.identity.resolverContext`); omitted when empty.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub resolver_context: HashMap<String, String>,
    /// Fields forced to `null` for this caller (`Type.field` or field ARNs); omitted when
    /// empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_fields: Vec<String>,
    /// Seconds AppSync may cache this answer; `0` means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_override: Option<u64>,
}

impl GraphqlAuthorizerResponse {
    /// A deny that AppSync must not cache.
    pub fn deny() -> Self {
        Self {
            ttl_override: Some(0),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aws_lambda_events_fixture_shape_deserializes() {
        let event = json!({
            "authorizationToken": "ExampleAUTHtoken123123123",
            "requestContext": {
                "apiId": "aaaaaa123123123example123",
                "accountId": "111122223333",
                "requestId": "f4081827-1111-4444-5555-5cf4695f339f",
                "queryString": "mutation CreateEvent {...}\n\nquery MyQuery {...}\n",
                "operationName": "MyQuery",
                "variables": {}
            }
        });
        let request = GraphqlAuthorizerRequest::deserialize_from(&event).expect("valid");
        assert_eq!(
            request.request_context.operation_name.as_deref(),
            Some("MyQuery")
        );
        assert!(request.request_headers.is_empty());
    }

    #[test]
    fn response_omits_absent_optional_fields() {
        let allow = GraphqlAuthorizerResponse {
            is_authorized: true,
            ttl_override: Some(60),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&allow).expect("serializes"),
            json!({"isAuthorized": true, "ttlOverride": 60})
        );
        let with_denied = GraphqlAuthorizerResponse {
            is_authorized: true,
            denied_fields: vec!["Mutation.deleteItem".into()],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&with_denied).expect("serializes")["deniedFields"],
            json!(["Mutation.deleteItem"])
        );
    }
}
