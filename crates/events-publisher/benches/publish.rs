//! Publisher costs.
//!
//! - `request/sign+serialize`: what the publisher does per request before it is sent:
//!   serialize the body of a full batch (5 events) and SigV4-sign it with session
//!   credentials. Target: ≤ 50 µs.
//! - `request/prepare`: validating the channel and serializing the events of one input of
//!   5 events (done once per input, before batching).
//! - `publish-1000/*`: publishing 1,000 events to a loopback endpoint through
//!   `Publisher::publish`: 10 channels × 100 events, so ⌈1000/5⌉ = 200 requests, with the
//!   default concurrency bound (4 channels in flight), and 1 channel × 1,000 events (one
//!   ordered lane: 200 sequential requests). The endpoint is a minimal axum server on
//!   127.0.0.1 that answers like AppSync and counts requests; every run checks that all
//!   1,000 events were published in exactly 200 requests.
//!
//! Run with `cargo bench -p events-publisher --bench publish`.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use events_publisher::{
    Credentials, Endpoint, PublishInput, Publisher, PublisherSettings, Region,
    SharedCredentialsProvider, prepare, sign_request,
};
use serde::Serialize;
use serde_json::{Value, json};

const HOST: &str = "abcdefghijklmnopqrstuvwxyz.appsync-api.us-east-1.amazonaws.com";

/// The request body the publisher sends (same shape as its internal `RequestBody`).
#[derive(Serialize)]
struct Body<'a> {
    channel: &'a str,
    events: Vec<&'a str>,
}

/// A typical application event (≈ 200 bytes serialized).
fn event(i: usize) -> Value {
    json!({
        "type": "order.updated",
        "id": format!("ord_{i:06}"),
        "status": "shipped",
        "total": {"amount": 4299, "currency": "EUR"},
        "items": [{"sku": "SKU-1", "qty": 2}, {"sku": "SKU-7", "qty": 1}],
        "at": "2026-11-01T10:00:00Z"
    })
}

fn credentials() -> Credentials {
    Credentials::new(
        "ASIAEXAMPLEEXAMPLE00",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        // Lambda execution-role credentials always carry a session token.
        Some("IQoJb3JpZ2luX2VjEXAMPLE".repeat(30)),
        None,
        "bench",
    )
}

fn per_request(c: &mut Criterion) {
    let input = PublishInput::new("/default/orders", (0..5).map(event).collect());
    let prepared = prepare(&input).expect("valid input");
    let credentials = credentials();
    let url = format!("https://{HOST}/event");
    let mut group = c.benchmark_group("request");
    group.bench_function("sign+serialize", |b| {
        b.iter(|| {
            let body = serde_json::to_vec(&Body {
                channel: prepared.channel.as_str(),
                events: prepared.events.iter().map(String::as_str).collect(),
            })
            .expect("serializes");
            let headers = sign_request(
                "POST",
                &url,
                &[("host", HOST), ("content-type", "application/json")],
                black_box(&body),
                &credentials,
                "us-east-1",
                SystemTime::now(),
            )
            .expect("signs");
            black_box((body, headers))
        })
    });
    group.bench_function("prepare", |b| {
        b.iter(|| prepare(black_box(&input)).expect("valid").events.len())
    });
    group.finish();
}

/// A loopback stand-in that accepts every event, answering like AppSync.
async fn accept(State(requests): State<Arc<AtomicUsize>>, body: Bytes) -> axum::Json<Value> {
    requests.fetch_add(1, Ordering::Relaxed);
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let count = body["events"].as_array().map_or(0, Vec::len);
    let successful: Vec<Value> = (0..count)
        .map(|index| json!({"identifier": format!("id-{index}"), "index": index}))
        .collect();
    axum::Json(json!({"successful": successful, "failed": []}))
}

fn inputs(channels: usize, per_channel: usize) -> Vec<PublishInput> {
    (0..channels)
        .map(|c| {
            PublishInput::new(
                format!("/default/orders-{c}"),
                (0..per_channel)
                    .map(|i| event(c * per_channel + i))
                    .collect(),
            )
        })
        .collect()
}

fn publish_1000(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let requests = Arc::new(AtomicUsize::new(0));
    let address = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("address");
        let app = Router::new()
            .route("/event", post(accept))
            .with_state(requests.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    });
    let endpoint = Endpoint::parse(&format!("http://{address}")).expect("loopback endpoint");
    let publisher = Publisher::new(
        endpoint,
        Region::parse("us-east-1").expect("region"),
        SharedCredentialsProvider::new(credentials()),
        PublisherSettings::default(),
    )
    .expect("publisher");

    let mut group = c.benchmark_group("publish-1000");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    for (name, channels, per_channel) in [
        ("10-channels-concurrency-4", 10, 100),
        ("1-channel-ordered", 1, 1000),
    ] {
        let batch = inputs(channels, per_channel);
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_batched(
                || {
                    requests.store(0, Ordering::Relaxed);
                    batch.clone()
                },
                |batch| {
                    let publisher = &publisher;
                    let requests = &requests;
                    async move {
                        let report = publisher
                            .publish(&batch, Instant::now() + Duration::from_secs(30))
                            .await;
                        assert!(report.is_complete(), "every event published");
                        assert_eq!(report.published(), 1000);
                        assert_eq!(report.requests, 200, "⌈1000/5⌉ requests");
                        assert_eq!(requests.load(Ordering::Relaxed), 200);
                    }
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, per_request, publish_1000);
criterion_main!(benches);
