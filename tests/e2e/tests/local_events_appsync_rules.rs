//! local-events refuses what AppSync refuses: the real binary reading the project's own
//! `template.yaml` (its `IdentityValidationExpression`, `TokenPrefix`/`TokenSuffix` and
//! parameter overrides) in front of the real authorizer, and what happens to an open
//! subscription when its token expires (docs/local-endpoint.md).

use std::time::Duration;

use serde_json::json;
use testkit::binaries::workspace_root;
use testkit::dev_loop::{Authorizer, LocalEvents, PREFIX, Ws, publish_body, token};

async fn from_template(authorizer: &Authorizer, extra: &[&str]) -> LocalEvents {
    let template = workspace_root().join("template.yaml");
    let template = template.to_str().expect("utf-8 path").to_owned();
    let url = authorizer.invoke.url();
    let mut args = vec!["--template", &template, "--authorizer-url", &url];
    args.extend_from_slice(extra);
    LocalEvents::start(&args, &[]).await
}

fn invocations(authorizer: &Authorizer) -> usize {
    authorizer.questions().len()
}

#[tokio::test]
async fn a_token_without_the_template_prefix_is_refused_before_the_authorizer_like_appsync() {
    let authorizer = Authorizer::dev().await;
    let events = from_template(&authorizer, &[]).await;
    assert!(
        !events
            .lines_with(&["identity_validation=\"^supabase:"])
            .is_empty(),
        "the start-up log names the expression: {:?}",
        events.logs()
    );
    let wrapped = token("user-1", 3600);
    let bare = wrapped.strip_prefix(PREFIX).expect("prefixed").to_owned();
    let body = publish_body("/default/a", &[json!({"n": 1})]);

    // HTTP: the same 401 UnauthorizedException a deny gets, and no invocation.
    let (status, error_type, answer) = events.post(Some(&bare), &body).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(error_type.as_deref(), Some("UnauthorizedException"));
    assert_eq!(answer["errors"][0]["errorType"], "UnauthorizedException");
    let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("IdentityValidationExpression"),
        "{message}"
    );
    assert_eq!(
        invocations(&authorizer),
        0,
        "the authorizer was never asked"
    );

    // WebSocket connect: the upgrade completes, then connection_error and close 4401.
    let mut ws = Ws::connect(&events, &bare).await;
    ws.send(json!({"type": "connection_init"})).await;
    let error = ws.next().await;
    assert_eq!(error["type"], "connection_error", "{error}");
    assert_eq!(error["errors"][0]["errorType"], "UnauthorizedException");
    assert_eq!(invocations(&authorizer), 0);

    // Subscribe on a good connection with a bare token: subscribe_error, no invocation
    // for it, the connection lives on.
    let mut ws = Ws::connect(&events, &wrapped).await;
    ws.init().await;
    let asked_before = invocations(&authorizer);
    let answer = ws
        .subscribe("s1", "/default/a", &bare, events.authority())
        .await;
    assert_eq!(answer["type"], "subscribe_error", "{answer}");
    assert_eq!(answer["errors"][0]["errorType"], "UnauthorizedException");
    assert_eq!(invocations(&authorizer), asked_before);
    let answer = ws
        .subscribe("s2", "/default/a", &wrapped, events.authority())
        .await;
    assert_eq!(answer["type"], "subscribe_success", "{answer}");

    // The wrapped token passes the pre-filter and reaches the authorizer.
    let (status, _, answer) = events.post(Some(&wrapped), &body).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn parameter_overrides_change_the_prefix_local_events_enforces() {
    let authorizer = Authorizer::dev().await;
    let events = from_template(&authorizer, &["--parameter-overrides", "TokenPrefix=app:"]).await;
    let body = publish_body("/default/a", &[json!({"n": 1})]);
    let (status, error_type, _) = events.post(Some(&token("user-1", 3600)), &body).await;
    assert_eq!(status, 401);
    assert_eq!(error_type.as_deref(), Some("UnauthorizedException"));
    assert_eq!(
        invocations(&authorizer),
        0,
        "supabase: no longer passes the pre-filter"
    );

    // No wrapper at all: the template's condition drops the expression (AWS::NoValue).
    let events = from_template(
        &authorizer,
        &["--parameter-overrides", "TokenPrefix= TokenSuffix="],
    )
    .await;
    assert!(
        !events.lines_with(&["identity_validation=\"-\""]).is_empty(),
        "{:?}",
        events.logs()
    );
    let (status, _, answer) = events.post(Some(&token("user-1", 3600)), &body).await;
    assert_eq!(
        status, 200,
        "reaches the authorizer, which strips supabase: {answer}"
    );
}

#[tokio::test]
async fn an_open_subscription_ends_with_subscribe_error_when_its_token_expires() {
    let authorizer = Authorizer::dev().await;
    let events = from_template(&authorizer, &[]).await;
    let long = token("user-1", 3600);
    let short = token("user-1", 3);
    let mut ws = Ws::connect(&events, &long).await;
    ws.init().await;
    let answer = ws
        .subscribe("short", "/default/a", &short, events.authority())
        .await;
    assert_eq!(answer["type"], "subscribe_success", "{answer}");
    let answer = ws
        .subscribe("long", "/default/b", &long, events.authority())
        .await;
    assert_eq!(answer["type"], "subscribe_success", "{answer}");

    // Before the expiry, events arrive.
    let (status, _, _) = events
        .post(Some(&long), &publish_body("/default/a", &[json!({"n": 1})]))
        .await;
    assert_eq!(status, 200);
    let data = ws.next().await;
    assert_eq!(
        (data["type"].as_str(), data["id"].as_str()),
        (Some("data"), Some("short"))
    );

    // At the expiry: subscribe_error for that subscription only.
    let ended = ws.next().await;
    assert_eq!(ended["type"], "subscribe_error", "{ended}");
    assert_eq!(ended["id"], "short");
    assert_eq!(ended["errors"][0]["errorType"], "UnauthorizedException");
    assert!(
        !events
            .wait_for_lines(&["subscription ended: its token expired"], 1)
            .await
            .is_empty()
    );

    // After it: nothing for the expired one; the other subscription and the socket live on.
    for channel in ["/default/a", "/default/b"] {
        let (status, _, _) = events
            .post(Some(&long), &publish_body(channel, &[json!({"n": 2})]))
            .await;
        assert_eq!(status, 200);
    }
    let data = ws.next().await;
    assert_eq!(
        (data["type"].as_str(), data["id"].as_str()),
        (Some("data"), Some("long"))
    );
    ws.assert_quiet(Duration::from_millis(500)).await;
}
