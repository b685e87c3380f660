//! The realtime WebSocket protocol of the real `local-events` binary, with the real
//! `authorizer` binary (development configuration, HS256 Supabase-shaped tokens) called
//! through a Lambda Invoke API, and a raw WebSocket client: what AppSync clients rely on
//! (amplify-events-client reference §2 and §6) and the protocol's edges.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::dev_loop::{Authorizer, LocalEvents, Ws, auth, publish_body, token};
use tokio_tungstenite::tungstenite::Message;

async fn stack(authorizer: &Authorizer, args: &[&str]) -> LocalEvents {
    let url = authorizer.invoke.url();
    let mut all = vec![
        "--authorizer-url",
        url.as_str(),
        "--namespace",
        "default",
        "--namespace",
        "other",
    ];
    all.extend_from_slice(args);
    LocalEvents::start(&all, &[]).await
}

#[tokio::test]
async fn connect_ack_ka_subscribe_and_data_from_an_http_publish_with_the_real_request_shape() {
    let authorizer = Authorizer::dev().await;
    let events = stack(
        &authorizer,
        &["--auth-cache-key", "token-operation-channel"],
    )
    .await;
    let user = token("user-1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    assert_eq!(ws.protocol.as_deref(), Some("aws-appsync-event-ws"));
    let ack = ws.init().await;
    assert_eq!(
        ack["connectionTimeoutMs"], 300_000,
        "top-level, as amplify-js reads it"
    );
    assert_eq!(ack["payload"]["connectionTimeoutMs"], 300_000);
    let ka = ws
        .next_within(Duration::from_secs(1))
        .await
        .expect("a ka right after the ack");
    assert_eq!(ka, json!({"type": "ka"}));

    // Amplify sends the channel exactly as given to connect(): no leading slash.
    let answer = ws
        .subscribe("sub-1", "default/chat", &user, events.authority())
        .await;
    assert_eq!(answer, json!({"id": "sub-1", "type": "subscribe_success"}));

    let (status, _, body) = events
        .post(
            Some(&user),
            &publish_body(
                "/default/chat",
                &[json!({"n": 1}), json!({"n": 2, "t": "é"})],
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for n in 1..=2 {
        let data = ws.next().await;
        assert_eq!(data["type"], "data");
        assert_eq!(data["id"], "sub-1");
        let event = data["event"].as_str().expect("event is a JSON string");
        assert_eq!(serde_json::from_str::<Value>(event).expect("JSON")["n"], n);
    }

    let requests = authorizer.invoke.invocations("authorizer");
    let operations: Vec<&str> = requests
        .iter()
        .map(|r| r["requestContext"]["operation"].as_str().expect("op"))
        .collect();
    assert_eq!(
        operations,
        ["EVENT_CONNECT", "EVENT_SUBSCRIBE", "EVENT_PUBLISH"]
    );
    for request in &requests {
        assert_eq!(
            request["authorizationToken"],
            user.as_str(),
            "the token verbatim, prefix included"
        );
        assert_eq!(
            request["requestContext"]["apiId"].as_str().map(str::len),
            Some(26)
        );
    }
    assert!(
        requests[0]["requestContext"].get("channel").is_none(),
        "no channel on connect"
    );
    assert_eq!(requests[1]["requestContext"]["channel"], "/default/chat");
    assert_eq!(
        requests[1]["requestContext"]["channelNamespaceName"],
        "default"
    );
    assert_eq!(requests[1]["requestHeaders"]["host"], events.authority());
    assert_eq!(requests[2]["requestContext"]["channel"], "/default/chat");
    assert!(
        !events
            .logs()
            .iter()
            .any(|l| l.contains(&user[PREFIX_LEN..])),
        "the token is never logged"
    );
    ws.close().await;
}

const PREFIX_LEN: usize = testkit::dev_loop::PREFIX.len();

#[tokio::test]
async fn wildcard_subscriptions_match_like_appsync() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    assert_eq!(
        ws.subscribe("all", "/default/*", &user, events.authority())
            .await["type"],
        "subscribe_success"
    );
    assert_eq!(
        ws.subscribe("one", "/default/a", &user, events.authority())
            .await["type"],
        "subscribe_success"
    );
    for (channel, n) in [
        ("/default/a", 1),
        ("/default/a/b/c", 2),
        ("/default", 3),
        ("/other/a", 4),
    ] {
        let (status, _, body) = events
            .post(Some(&user), &publish_body(channel, &[json!({"n": n})]))
            .await;
        assert_eq!(status, 200, "{channel}: {body}");
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        let data = ws.next().await;
        let n = serde_json::from_str::<Value>(data["event"].as_str().expect("event"))
            .expect("JSON")["n"]
            .clone();
        got.push((data["id"].as_str().expect("id").to_owned(), n));
    }
    got.sort_by_key(|(id, n)| (id.clone(), n.as_i64()));
    assert_eq!(
        got,
        [
            ("all".to_owned(), json!(1)),
            ("all".to_owned(), json!(2)),
            ("one".to_owned(), json!(1))
        ],
        "/default/* matches /default/a and /default/a/b/c, not /default or /other/a"
    );
    ws.assert_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn an_expired_token_is_refused_per_message_and_the_connection_lives_on() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    let expired = token("user-1", -120);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    let answer = ws
        .subscribe("s1", "/default/a", &expired, events.authority())
        .await;
    assert_eq!(answer["type"], "subscribe_error", "{answer}");
    assert_eq!(answer["id"], "s1");
    assert_eq!(answer["errors"][0]["errorType"], "UnauthorizedException");
    let answer = ws
        .subscribe("s2", "/default/a", &user, events.authority())
        .await;
    assert_eq!(answer["type"], "subscribe_success", "{answer}");
}

#[tokio::test]
async fn a_refused_connect_completes_the_upgrade_then_answers_connection_error_and_closes() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let mut ws = Ws::connect(&events, &token("user-1", -120)).await;
    assert_eq!(
        ws.protocol.as_deref(),
        Some("aws-appsync-event-ws"),
        "101 with the protocol"
    );
    ws.send(json!({"type": "connection_init"})).await;
    let error = ws
        .next_within(Duration::from_secs(10))
        .await
        .expect("an answer");
    assert_eq!(error["type"], "connection_error", "{error}");
    assert_eq!(
        error["errors"][0]["errorType"], "UnauthorizedException",
        "non-retryable for Amplify"
    );
    let close = ws.next_within(Duration::from_secs(5)).await.expect("close");
    assert_eq!(close, json!({"close": 4401}));
}

#[tokio::test]
async fn channel_rules_deny_a_wildcard_outside_the_callers_channels() {
    let rules = json!({"channelRules": [
        {"channel": "/default/users/{sub}/*", "operations": ["subscribe", "publish"]},
    ]});
    let authorizer = Authorizer::with_document(rules).await;
    let events = stack(
        &authorizer,
        &["--auth-cache-key", "token-operation-channel"],
    )
    .await;
    let user = token("u1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    let own = ws
        .subscribe("own", "/default/users/u1/*", &user, events.authority())
        .await;
    assert_eq!(own["type"], "subscribe_success", "{own}");
    for (id, channel) in [("all", "/default/*"), ("theirs", "/default/users/u2/*")] {
        let denied = ws.subscribe(id, channel, &user, events.authority()).await;
        assert_eq!(denied["type"], "subscribe_error", "{channel}: {denied}");
        assert_eq!(denied["errors"][0]["errorType"], "UnauthorizedException");
    }
}

#[tokio::test]
async fn a_token_only_cache_key_replays_a_cached_connect_allow_only_when_cache_connect_opts_in() {
    // With channel rules the authorizer answers connect with ttlOverride 0 by default, so
    // even the coarsest cache key (--auth-cache-key token, the default) cannot replay it.
    let rules = json!({"channelRules": [{"channel": "/default/users/{sub}/*", "operations": ["subscribe"]}]});
    let careful = Authorizer::with_document(rules).await;
    let events = stack(&careful, &[]).await;
    let user = token("u1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    let denied = ws
        .subscribe("all", "/default/*", &user, events.authority())
        .await;
    assert_eq!(denied["type"], "subscribe_error", "{denied}");

    // Opting in to cacheConnect shows the risk: the cached connect allow answers the
    // subscribe, and the endpoint says so loudly.
    let opted_in = Authorizer::with_document(json!({
        "channelRules": [{"channel": "/default/users/{sub}/*", "operations": ["subscribe"]}],
        "cacheConnect": true,
    }))
    .await;
    let events = stack(&opted_in, &[]).await;
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    let replayed = ws
        .subscribe("all", "/default/*", &user, events.authority())
        .await;
    assert_eq!(replayed["type"], "subscribe_success", "{replayed}");
    assert_eq!(
        opted_in.questions(),
        [("EVENT_CONNECT".to_owned(), None)],
        "answered from the cache"
    );
    let warned = events
        .wait_for_lines(
            &[
                "answer given for another operation or channel is reused",
                "cached_operation=EVENT_CONNECT",
            ],
            1,
        )
        .await;
    assert_eq!(warned.len(), 1, "{:?}", events.logs());
}

#[tokio::test]
async fn cached_answers_save_authorizer_invocations_and_are_logged_as_hits() {
    let authorizer = Authorizer::dev().await;
    let events = stack(
        &authorizer,
        &["--auth-cache-key", "token-operation-channel"],
    )
    .await;
    let user = token("user-1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    for id in ["a", "b", "c"] {
        assert_eq!(
            ws.subscribe(id, "/default/x", &user, events.authority())
                .await["type"],
            "subscribe_success"
        );
    }
    let second = Ws::connect(&events, &user).await;
    drop(second);
    for _ in 0..2 {
        events
            .post(Some(&user), &publish_body("/default/x", &[json!(1)]))
            .await;
    }
    let questions = authorizer.questions();
    assert_eq!(
        questions
            .iter()
            .map(|(op, _)| op.as_str())
            .collect::<Vec<_>>(),
        ["EVENT_CONNECT", "EVENT_SUBSCRIBE", "EVENT_PUBLISH"],
        "one invocation per (token, operation, channel) while the answer is cached"
    );
    let hits = events.wait_for_lines(&["authorizer cache hit"], 4).await;
    assert!(hits.len() >= 4, "{:?}", events.logs());
}

#[tokio::test]
async fn websocket_publish_reaches_other_subscribers_and_is_always_answered() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    let mut listener = Ws::connect(&events, &user).await;
    listener.init().await;
    assert_eq!(
        listener
            .subscribe("l", "/default/room", &user, events.authority())
            .await["type"],
        "subscribe_success"
    );

    let mut publisher = Ws::connect(&events, &user).await;
    publisher.init().await;
    let authorization = auth(&user, events.authority());
    publisher
        .send(json!({"type": "publish", "id": "p1", "channel": "default/room", "events": ["{\"via\":\"ws\"}"], "authorization": authorization}))
        .await;
    let answer = publisher.next().await;
    assert_eq!(answer["type"], "publish_success", "{answer}");
    assert_eq!(answer["id"], "p1");
    assert_eq!(answer["failed"], json!([]));
    assert_eq!(answer["successful"][0]["index"], 0);
    let data = listener.next().await;
    assert_eq!(data["event"], "{\"via\":\"ws\"}");

    let six: Vec<String> = (0..6).map(|n| n.to_string()).collect();
    let refusals = [
        json!({"type": "publish", "id": "p2", "channel": "/default/room", "events": six, "authorization": authorization}),
        json!({"type": "publish", "id": "p3", "channel": "/default/room", "events": ["1"]}),
        json!({"type": "publish", "id": "p4", "channel": "/nowhere/room", "events": ["1"], "authorization": authorization}),
    ];
    for (frame, error_type) in refusals.into_iter().zip([
        "BadRequestException",
        "UnauthorizedException",
        "BadRequestException",
    ]) {
        let id = frame["id"].clone();
        publisher.send(frame).await;
        let answer = publisher.next().await;
        assert_eq!(answer["type"], "publish_error", "{answer}");
        assert_eq!(answer["id"], id);
        assert_eq!(answer["errors"][0]["errorType"], error_type, "{answer}");
    }
    listener.assert_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn unsubscribe_stops_delivery_and_an_unknown_id_is_an_unsubscribe_error() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    ws.subscribe("s", "/default/u", &user, events.authority())
        .await;
    ws.send(json!({"type": "unsubscribe", "id": "s"})).await;
    assert_eq!(
        ws.next().await,
        json!({"id": "s", "type": "unsubscribe_success"})
    );
    events
        .post(Some(&user), &publish_body("/default/u", &[json!(1)]))
        .await;
    ws.assert_quiet(Duration::from_millis(500)).await;
    ws.send(json!({"type": "unsubscribe", "id": "s"})).await;
    let answer = ws.next().await;
    assert_eq!(answer["type"], "unsubscribe_error");
    assert_eq!(answer["id"], "s");
}

#[tokio::test]
async fn subscribe_works_without_connection_init_as_native_clients_send_it() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    let answer = ws
        .subscribe("s", "/default/n", &user, events.authority())
        .await;
    assert_eq!(answer["type"], "subscribe_success", "{answer}");
    events
        .post(Some(&user), &publish_body("/default/n", &[json!("x")]))
        .await;
    assert_eq!(ws.next().await["event"], "\"x\"");
}

#[tokio::test]
async fn unknown_types_bad_json_and_binary_frames_get_error_frames_that_name_the_id() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    let mut ws = Ws::connect(&events, &user).await;
    ws.init().await;
    ws.send(json!({"type": "start", "id": "x1"})).await;
    let error = ws.next().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["id"], "x1");
    assert_eq!(error["errors"][0]["errorType"], "UnknownOperationError");
    ws.send_raw(Message::Text("not json".into())).await;
    let error = ws.next().await;
    assert_eq!(error["type"], "error");
    assert!(error.get("id").is_none());
    ws.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    assert_eq!(ws.next().await["type"], "error");
    ws.send(json!({"type": "subscribe", "channel": "/default/a"}))
        .await;
    assert_eq!(
        ws.next().await["type"],
        "error",
        "a subscribe without an id"
    );
    // The connection still works.
    assert_eq!(
        ws.subscribe("ok", "/default/a", &user, events.authority())
            .await["type"],
        "subscribe_success"
    );
}

#[tokio::test]
async fn keep_alives_follow_the_ack_at_once_then_every_keepalive_secs() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &["--keepalive-secs", "1"]).await;
    let mut ws = Ws::connect(&events, &token("user-1", 3600)).await;
    ws.init().await;
    let start = Instant::now();
    assert_eq!(
        ws.next_within(Duration::from_millis(500)).await,
        Some(json!({"type": "ka"}))
    );
    assert!(start.elapsed() < Duration::from_millis(500));
    let mut previous = Instant::now();
    for _ in 0..3 {
        let frame = ws.next_within(Duration::from_secs(3)).await.expect("a ka");
        assert_eq!(frame["type"], "ka");
        let gap = previous.elapsed();
        assert!(
            gap > Duration::from_millis(600) && gap < Duration::from_millis(1600),
            "{gap:?}"
        );
        previous = Instant::now();
    }
}

#[tokio::test]
async fn the_same_subscription_id_is_refused_twice_on_a_connection_but_reusable_after_reconnect() {
    let authorizer = Authorizer::dev().await;
    let events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    let mut first = Ws::connect(&events, &user).await;
    first.init().await;
    assert_eq!(
        first
            .subscribe("same", "/default/r", &user, events.authority())
            .await["type"],
        "subscribe_success"
    );
    let duplicate = first
        .subscribe("same", "/default/r", &user, events.authority())
        .await;
    assert_eq!(duplicate["type"], "subscribe_error", "{duplicate}");
    first.close().await;

    let mut second = Ws::connect(&events, &user).await;
    second.init().await;
    assert_eq!(
        second
            .subscribe("same", "/default/r", &user, events.authority())
            .await["type"],
        "subscribe_success"
    );
    events
        .post(Some(&user), &publish_body("/default/r", &[json!(7)]))
        .await;
    let data = second.next().await;
    assert_eq!(
        (data["id"].clone(), data["event"].clone()),
        (json!("same"), json!("7"))
    );
}

#[tokio::test]
async fn auth_sent_as_plain_upgrade_headers_is_accepted_and_sigterm_closes_sockets_with_1001() {
    let authorizer = Authorizer::dev().await;
    let mut events = stack(&authorizer, &[]).await;
    let user = token("user-1", 3600);
    // Swift-style: only the protocol offered, credentials as upgrade headers.
    let mut ws = Ws::connect_with_headers(&events, &[("authorization", &user)]).await;
    ws.init().await;
    let pid = events.child.id().expect("running").to_string();
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .expect("kill");
    assert!(status.success());
    assert_eq!(ws.next().await, json!({"close": 1001}), "going away");
    let exit = tokio::time::timeout(Duration::from_secs(15), events.child.wait())
        .await
        .expect("exits")
        .expect("waits");
    assert!(exit.success(), "{exit}");
}
