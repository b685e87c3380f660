//! `Publisher` against a scripted loopback server: batching, ordering, concurrency,
//! retries, deadlines. (Signature verification by an independent implementation is in the
//! end-to-end tests, which use botocore.)

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use events_publisher::{
    Backoff, Credentials, Endpoint, PublishInput, Publisher, PublisherSettings, Region,
};
use serde_json::{Value, json};

fn us_east_1() -> Region {
    Region::parse("us-east-1").expect("region")
}

/// What the server answers to one request.
#[derive(Clone)]
enum Reply {
    Status(u16, &'static str),
    /// A 200 that reports these positions of the request as failed.
    FailIndices(Vec<usize>, Option<u16>),
    Delay(Duration),
}

#[derive(Default)]
struct Server {
    script: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Received>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

#[derive(Debug, Clone)]
struct Received {
    channel: String,
    events: Vec<Value>,
    access_key: String,
    headers: HeaderMap,
}

async fn handle(State(server): State<Arc<Server>>, headers: HeaderMap, body: Bytes) -> Response {
    let now = server.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    server.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let body: Value = serde_json::from_slice(&body).expect("json body");
    let channel = body["channel"].as_str().expect("channel").to_owned();
    let events: Vec<Value> = body["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| serde_json::from_str(e.as_str().expect("string event")).expect("json event"))
        .collect();
    let access_key = headers["authorization"]
        .to_str()
        .expect("ascii")
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').next())
        .expect("credential")
        .to_owned();
    let n = events.len();
    server.received.lock().expect("lock").push(Received {
        channel,
        events,
        access_key,
        headers,
    });
    let mut reply = server.script.lock().expect("lock").pop_front();
    if let Some(Reply::Delay(d)) = reply {
        tokio::time::sleep(d).await;
        reply = None;
    } else {
        // Give concurrent requests a chance to overlap.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.in_flight.fetch_sub(1, Ordering::SeqCst);
    match reply {
        Some(Reply::Status(code, body)) => {
            (StatusCode::from_u16(code).expect("status"), body.to_owned()).into_response()
        }
        Some(Reply::FailIndices(failed, code)) => {
            let ok: Vec<_> = (0..n)
                .filter(|i| !failed.contains(i))
                .map(|i| json!({"identifier": format!("id-{i}"), "index": i}))
                .collect();
            let bad: Vec<_> = failed
                .iter()
                .map(|i| json!({"identifier": format!("id-{i}"), "index": i, "errorCode": code, "errorMessage": "nope"}))
                .collect();
            axum::Json(json!({"successful": ok, "failed": bad})).into_response()
        }
        Some(Reply::Delay(_)) | None => {
            let ok: Vec<_> = (0..n)
                .map(|i| json!({"identifier": format!("id-{i}"), "index": i}))
                .collect();
            axum::Json(json!({"successful": ok, "failed": []})).into_response()
        }
    }
}

struct Harness {
    server: Arc<Server>,
    endpoint: Endpoint,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Harness {
    async fn start(script: Vec<Reply>) -> Self {
        let server = Arc::new(Server::default());
        server.script.lock().expect("lock").extend(script);
        let app = Router::new()
            .route("/event", post(handle))
            .with_state(server.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let endpoint = Endpoint::parse(&format!("http://{addr}")).expect("endpoint");
        Self {
            server,
            endpoint,
            task,
        }
    }

    fn publisher(&self, settings: PublisherSettings) -> Publisher {
        Publisher::new(
            self.endpoint.clone(),
            us_east_1(),
            SharedCredentialsProvider::new(Credentials::new(
                "AKIDTEST",
                "secret",
                Some("session-token".into()),
                None,
                "test",
            )),
            settings,
        )
        .expect("publisher")
    }

    fn received(&self) -> Vec<Received> {
        self.server.received.lock().expect("lock").clone()
    }
}

fn fast() -> PublisherSettings {
    PublisherSettings {
        backoff: Backoff {
            base: Duration::from_millis(5),
            max: Duration::from_millis(20),
        },
        ..PublisherSettings::default()
    }
}

fn events(range: std::ops::Range<u32>) -> Vec<Value> {
    range.map(|i| json!({"n": i})).collect()
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

#[tokio::test]
async fn twelve_events_go_in_three_ordered_requests_with_signing_headers() {
    let h = Harness::start(vec![]).await;
    let report = h
        .publisher(fast())
        .publish(&[PublishInput::new("/default/a", events(0..12))], soon())
        .await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(
        (report.published(), report.requests, report.retries),
        (12, 3, 0)
    );
    let received = h.received();
    let sizes: Vec<_> = received.iter().map(|r| r.events.len()).collect();
    assert_eq!(sizes, [5, 5, 2]);
    let all: Vec<_> = received.iter().flat_map(|r| r.events.clone()).collect();
    assert_eq!(all, events(0..12));
    let headers = &received[0].headers;
    assert_eq!(headers["x-amz-security-token"], "session-token");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["host"], h.endpoint.host_header());
    assert!(headers.contains_key("x-amz-date"));
}

#[tokio::test]
async fn channels_run_concurrently_but_each_channel_stays_in_order() {
    let h = Harness::start(vec![]).await;
    let settings = PublisherSettings {
        concurrency: 2,
        ..fast()
    };
    let inputs: Vec<_> = ["/default/a", "/default/b", "/default/c", "/default/a"]
        .iter()
        .enumerate()
        .map(|(i, ch)| PublishInput::new(*ch, events(i as u32 * 100..i as u32 * 100 + 11)))
        .collect();
    let report = h.publisher(settings).publish(&inputs, soon()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.requests, 12);
    assert_eq!(h.server.max_in_flight.load(Ordering::SeqCst), 2);
    for channel in ["/default/a", "/default/b", "/default/c"] {
        let seen: Vec<_> = h
            .received()
            .into_iter()
            .filter(|r| r.channel == channel)
            .flat_map(|r| r.events)
            .collect();
        let expected: Vec<_> = inputs
            .iter()
            .filter(|i| i.channel == channel)
            .flat_map(|i| i.events.clone())
            .collect();
        assert_eq!(seen, expected, "{channel}");
    }
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried_until_success() {
    let h = Harness::start(vec![
        Reply::Status(500, "boom"),
        Reply::Status(429, r#"{"message":"slow down"}"#),
    ])
    .await;
    let report = h
        .publisher(fast())
        .publish(&[PublishInput::new("/default/a", events(0..3))], soon())
        .await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!((report.requests, report.retries), (3, 2));
}

#[tokio::test]
async fn only_events_failed_inside_a_200_are_resent() {
    let h = Harness::start(vec![Reply::FailIndices(vec![1, 3], Some(500))]).await;
    let report = h
        .publisher(fast())
        .publish(&[PublishInput::new("/default/a", events(0..5))], soon())
        .await;
    assert!(report.is_complete(), "{report:?}");
    let received = h.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].events, [json!({"n": 1}), json!({"n": 3})]);
}

#[tokio::test]
async fn permanent_event_failures_are_reported_not_resent() {
    let h = Harness::start(vec![Reply::FailIndices(vec![2], Some(400))]).await;
    let report = h
        .publisher(fast())
        .publish(&[PublishInput::new("/default/a", events(0..4))], soon())
        .await;
    assert_eq!(report.requests, 1);
    assert_eq!(report.published(), 3);
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].index, 2);
    assert_eq!(failures[0].reason, "rejected by the service: 400: nope");
}

#[tokio::test]
async fn client_errors_are_not_retried_and_later_requests_of_the_channel_are_held_back() {
    let h = Harness::start(vec![Reply::Status(
        403,
        r#"{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized"}]}"#,
    )])
    .await;
    let report = h
        .publisher(fast())
        .publish(
            &[
                PublishInput::new("/default/a", events(0..7)),
                PublishInput::new("/default/a", events(7..8)),
            ],
            soon(),
        )
        .await;
    assert_eq!(report.requests, 1, "{report:?}");
    assert_eq!(report.published(), 0);
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 8);
    assert_eq!(
        failures[0].reason,
        "HTTP 403 Forbidden: UnauthorizedException: You are not authorized"
    );
    assert!(
        failures[5]
            .reason
            .starts_with("not sent: an earlier request to /default/a failed")
    );
    assert_eq!(
        (failures[7].channel.as_str(), failures[7].index),
        ("/default/a", 0)
    );
}

#[tokio::test]
async fn invalid_inputs_are_refused_whole_and_valid_ones_still_sent() {
    let h = Harness::start(vec![]).await;
    let big = json!("x".repeat(events_publisher::MAX_EVENT_BYTES));
    let report = h
        .publisher(fast())
        .publish(
            &[
                PublishInput::new("/default/*", events(0..2)),
                PublishInput::new("/default/b", vec![json!(1), big]),
                PublishInput::new("/default/c", events(0..1)),
            ],
            soon(),
        )
        .await;
    let received = h.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].channel, "/default/c");
    let outcomes = &report.inputs;
    assert!(
        outcomes[0]
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("/default/*"))
    );
    assert_eq!(outcomes[0].failures.len(), 2);
    assert!(
        outcomes[1]
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("event 1"))
    );
    assert_eq!(outcomes[1].failures.len(), 2);
    assert!(outcomes[2].is_complete());
}

#[tokio::test]
async fn retries_stop_before_the_deadline() {
    let script = (0..1000).map(|_| Reply::Status(503, "")).collect();
    let h = Harness::start(script).await;
    let settings = PublisherSettings {
        max_attempts: 1000,
        ..fast()
    };
    let started = Instant::now();
    let deadline = started + Duration::from_millis(600);
    let report = h
        .publisher(settings)
        .publish(&[PublishInput::new("/default/a", events(0..1))], deadline)
        .await;
    assert!(Instant::now() <= deadline, "finished after the deadline");
    assert!(report.requests > 2, "{report:?}");
    let failure = report.failures().next().expect("a failure");
    assert!(failure.reason.starts_with("HTTP 503"), "{}", failure.reason);
    assert!(failure.reason.contains("deadline"), "{}", failure.reason);
}

#[tokio::test]
async fn a_slow_attempt_is_cut_at_the_request_timeout_and_retried() {
    let h = Harness::start(vec![Reply::Delay(Duration::from_secs(2))]).await;
    let settings = PublisherSettings {
        request_timeout: Duration::from_millis(300),
        ..fast()
    };
    let report = h
        .publisher(settings)
        .publish(&[PublishInput::new("/default/a", events(0..1))], soon())
        .await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.requests, 2);
}

/// Hands out a new key on every call, like a provider whose cache was refreshed.
#[derive(Debug, Default)]
struct Rotating(AtomicUsize);

impl ProvideCredentials for Rotating {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        future::ProvideCredentials::ready(Ok(Credentials::new(
            format!("AKID{n}"),
            "secret",
            None,
            None,
            "rotating",
        )))
    }
}

#[tokio::test]
async fn credentials_are_asked_for_on_every_request() {
    let h = Harness::start(vec![Reply::Status(500, "")]).await;
    let publisher = Publisher::new(
        h.endpoint.clone(),
        us_east_1(),
        SharedCredentialsProvider::new(Rotating::default()),
        fast(),
    )
    .expect("publisher");
    let report = publisher
        .publish(&[PublishInput::new("/default/a", events(0..1))], soon())
        .await;
    assert!(report.is_complete());
    let keys: Vec<_> = h.received().into_iter().map(|r| r.access_key).collect();
    assert_eq!(keys, ["AKID0", "AKID1"]);
    assert!(!h.received()[0].headers.contains_key("x-amz-security-token"));
}

#[tokio::test]
async fn unreachable_endpoint_is_a_reported_failure_not_a_panic() {
    // Bind and drop to get a port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let publisher = Publisher::new(
        Endpoint::parse(&format!("http://{addr}")).expect("endpoint"),
        us_east_1(),
        SharedCredentialsProvider::new(Credentials::new("A", "B", None, None, "t")),
        PublisherSettings {
            max_attempts: 2,
            ..fast()
        },
    )
    .expect("publisher");
    let report = publisher
        .publish(&[PublishInput::new("/default/a", events(0..2))], soon())
        .await;
    assert_eq!(report.requests, 2);
    let failure = report.failures().next().expect("failure");
    assert!(
        failure.reason.starts_with("connection failed"),
        "{}",
        failure.reason
    );
    assert!(
        failure.reason.contains("gave up after 2 attempt(s)"),
        "{}",
        failure.reason
    );
}

#[test]
fn zero_concurrency_or_attempts_are_refused() {
    let endpoint = Endpoint::parse("http://127.0.0.1:1").expect("endpoint");
    let creds = SharedCredentialsProvider::new(Credentials::new("A", "B", None, None, "t"));
    for settings in [
        PublisherSettings {
            concurrency: 0,
            ..fast()
        },
        PublisherSettings {
            max_attempts: 0,
            ..fast()
        },
        PublisherSettings {
            request_timeout: Duration::ZERO,
            ..fast()
        },
    ] {
        assert!(Publisher::new(endpoint.clone(), us_east_1(), creds.clone(), settings).is_err());
    }
}
