//! `POST /event` served in-process on an ephemeral loopback port, with a stub Lambda
//! Invoke API as the authorizer: the request AppSync sends, its answers, its failures,
//! the answer cache, auth modes per namespace, validation and CORS.

mod support;

use std::time::Duration;

use local_events::Config;
use local_events::config::CacheKey;
use local_events::modes::{AuthMode, NamespaceModes};
use serde_json::{Value, json};
use support::{Behaviour, Running, StubAuthorizer, config_with};

fn allow(ttl: u64) -> Behaviour {
    Behaviour::Answer(
        json!({"isAuthorized": true, "ttlOverride": ttl, "handlerContext": {"sub": "u1"}}),
    )
}

fn body(channel: &str) -> Value {
    json!({"channel": channel, "events": ["{\"id\":1}", "{\"id\":2}"]})
}

#[tokio::test]
async fn a_lambda_publish_sends_the_appsync_request_and_is_answered_like_appsync() {
    let authorizer = StubAuthorizer::start(allow(0)).await;
    let server = Running::start(config_with(&authorizer)).await;
    let (status, error_type, answer) = server
        .publish(
            &[("authorization", "supabase:token-1"), ("x-custom", "v")],
            &body("default/orders"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(error_type, None);
    assert_eq!(answer["failed"], json!([]));
    assert_eq!(answer["successful"].as_array().map(Vec::len), Some(2));
    assert_eq!(answer["successful"][1]["index"], 1);

    let requests = authorizer.requests();
    assert_eq!(requests.len(), 1);
    let (function, request) = &requests[0];
    assert_eq!(function, "authorizer");
    assert_eq!(request["authorizationToken"], "supabase:token-1");
    let context = &request["requestContext"];
    assert_eq!(context["operation"], "EVENT_PUBLISH");
    assert_eq!(
        context["channel"], "/default/orders",
        "the leading / is added"
    );
    assert_eq!(context["channelNamespaceName"], "default");
    assert_eq!(context["apiId"], "localeventsapi000000000000");
    assert_eq!(context["accountId"], "123456789012");
    assert_eq!(context["requestId"].as_str().map(str::len), Some(36));
    assert_eq!(request["requestHeaders"]["x-custom"], "v");

    let (_, recent) = server.get("/_local/events?channel=/default/*").await;
    assert_eq!(recent["events"][0]["event"], "{\"id\":1}");
    assert_eq!(recent["events"][0]["authMode"], "AWS_LAMBDA");
    server.stop().await;
}

#[tokio::test]
async fn denials_and_authorizer_failures_are_401_unauthorized_never_5xx() {
    let authorizer = StubAuthorizer::start(Behaviour::Answer(json!({"isAuthorized": false}))).await;
    let server = Running::start(config_with(&authorizer)).await;
    let cases = [
        (
            Behaviour::Answer(json!({"isAuthorized": false})),
            "isAuthorized: false",
        ),
        (
            Behaviour::FunctionError,
            "the authorizer failed (Unhandled)",
        ),
        (Behaviour::Status(500), "HTTP 500"),
        (
            Behaviour::Answer(json!({"allowed": true})),
            "is not {\"isAuthorized\": bool",
        ),
        (
            Behaviour::Slow(Duration::from_secs(3)),
            "did not answer within 1 s",
        ),
    ];
    for (behaviour, reason) in cases {
        authorizer.set(behaviour.clone());
        let (status, error_type, answer) = server
            .publish(&[("authorization", "t")], &body("/default/a"))
            .await;
        assert_eq!(status, 401, "{behaviour:?}: {answer}");
        assert_eq!(error_type.as_deref(), Some("UnauthorizedException"));
        assert_eq!(answer["errors"][0]["errorType"], "UnauthorizedException");
        let message = answer["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains(reason), "{behaviour:?}: {message}");
    }
    let (_, recent) = server.get("/_local/events").await;
    assert_eq!(recent["events"], json!([]), "nothing refused is delivered");
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_authorizer_is_a_deny_that_says_where_it_looked() {
    let mut config = Config::ephemeral(["default"]);
    config.authorizer.url = "http://127.0.0.1:9".into();
    let server = Running::start(config).await;
    let (status, _, answer) = server
        .publish(&[("authorization", "t")], &body("/default/a"))
        .await;
    assert_eq!(status, 401);
    let message = answer["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains(
            "not reachable at http://127.0.0.1:9/2015-03-31/functions/authorizer/invocations"
        ),
        "{message}"
    );
    server.stop().await;
}

#[tokio::test]
async fn ttl_override_is_honoured_by_the_answer_cache() {
    let authorizer = StubAuthorizer::start(allow(60)).await;
    let server = Running::start(config_with(&authorizer)).await;
    for _ in 0..3 {
        let (status, _, _) = server
            .publish(&[("authorization", "cached")], &body("/default/a"))
            .await;
        assert_eq!(status, 200);
    }
    assert_eq!(authorizer.requests().len(), 1, "answers cached for 60 s");
    server
        .publish(&[("authorization", "other-token")], &body("/default/a"))
        .await;
    assert_eq!(
        authorizer.requests().len(),
        2,
        "another token is another key"
    );

    authorizer.set(allow(0));
    for _ in 0..2 {
        server
            .publish(&[("authorization", "uncached")], &body("/default/a"))
            .await;
    }
    assert_eq!(
        authorizer.requests().len(),
        4,
        "ttlOverride 0 is never cached"
    );
    server.stop().await;
}

#[tokio::test]
async fn without_ttl_override_the_api_ttl_applies_and_a_fine_key_separates_channels() {
    let authorizer = StubAuthorizer::start(Behaviour::Answer(json!({"isAuthorized": true}))).await;
    let mut config = config_with(&authorizer);
    config.authorizer.cache_ttl = 60;
    config.authorizer.cache_key = CacheKey::TokenOperationChannel;
    let server = Running::start(config).await;
    server
        .publish(&[("authorization", "t")], &body("/default/a"))
        .await;
    server
        .publish(&[("authorization", "t")], &body("/default/a"))
        .await;
    assert_eq!(authorizer.requests().len(), 1);
    server
        .publish(&[("authorization", "t")], &body("/default/b"))
        .await;
    assert_eq!(
        authorizer.requests().len(),
        2,
        "another channel is another key"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_mode_the_namespace_does_not_allow_is_refused_naming_both() {
    let authorizer = StubAuthorizer::start(allow(0)).await;
    let mut config = config_with(&authorizer);
    config.events.namespaces.insert(
        "private".into(),
        NamespaceModes {
            publish: Some(vec![AuthMode::Iam]),
            subscribe: None,
        },
    );
    let server = Running::start(config).await;
    let (status, _, answer) = server
        .publish(&[("authorization", "token")], &body("/private/a"))
        .await;
    assert_eq!(status, 401);
    let message = answer["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("EVENT_PUBLISH in namespace 'private' allows AWS_IAM; this request carries a token (AWS_LAMBDA)"),
        "{message}"
    );
    let (status, _, answer) = server.publish(&[], &body("/default/a")).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .expect("m")
            .contains("carries no credentials")
    );
    assert!(
        authorizer.requests().is_empty(),
        "the authorizer is only asked in Lambda mode"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_ill_signed_request_is_403_invalid_signature_saying_what_differs() {
    let server = Running::start(Config::ephemeral(["default"])).await;
    let signature = "AWS4-HMAC-SHA256 Credential=AKIDLOCALDEVELOPMENT/20260101/eu-west-1/appsync/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
    let (status, error_type, answer) = server
        .publish(
            &[
                ("authorization", signature),
                ("x-amz-date", "20260101T000000Z"),
            ],
            &body("/default/a"),
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(error_type.as_deref(), Some("InvalidSignatureException"));
    let message = answer["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("signed for region eu-west-1, this endpoint is us-east-1"),
        "{message}"
    );
    server.stop().await;
}

#[tokio::test]
async fn invalid_publishes_are_400_bad_request_and_deliver_nothing() {
    let mut config = Config::ephemeral(["default"]);
    config.events.default_publish = vec![AuthMode::None];
    let server = Running::start(config).await;
    let six: Vec<&str> = vec!["{}"; 6];
    let bodies = [
        json!({"channel": "/default/a", "events": six}),
        json!({"channel": "/default/*", "events": ["{}"]}),
        json!({"channel": "/unknown/a", "events": ["{}"]}),
        json!({"channel": "/default/a", "events": ["{}", "nope"]}),
        json!({"channel": "/default/a", "events": [{"raw": true}]}),
        json!({"events": ["{}"]}),
    ];
    for body in bodies {
        let (status, error_type, answer) = server.publish(&[], &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(error_type.as_deref(), Some("BadRequestException"));
    }
    let (status, _, answer) = server.publish(&[], &body("/default/ok")).await;
    assert_eq!(status, 200, "mode none needs no credentials: {answer}");
    let (_, recent) = server.get("/_local/events").await;
    assert_eq!(recent["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(recent["events"][0]["authMode"], "NONE");
    server.stop().await;
}

#[tokio::test]
async fn browsers_get_cors_preflight_answers_and_errors_are_appsync_shaped() {
    let server = Running::start(Config::ephemeral(["default"])).await;
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/event", server.base))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-amz-user-agent",
        )
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii");
    assert!(
        allowed.contains("authorization") && allowed.contains("x-amz-user-agent"),
        "{allowed}"
    );

    let (status, body) = server.get("/graphql").await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["errorType"], "NotFoundException");
    let (status, body) = server.get("/event/realtime").await;
    assert_eq!(status, 400, "a plain GET of the WebSocket path: {body}");
    let (status, _) = server.get("/_local/events?channel=/a/b/c/d/e/f").await;
    assert_eq!(status, 400);
    server.stop().await;
}
