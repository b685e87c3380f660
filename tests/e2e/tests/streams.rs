//! Stream triggers end to end: the real `publisher` under the Lambda Runtime API, given
//! DynamoDB Streams batches, publishing IAM-signed to the real `local-events` (which
//! verifies every signature) through a loopback front that fails requests on command.
//!
//! What is proven: events arrive per channel in record order; when a request fails, the
//! answer's `batchItemFailures` names the first record not published; the retried batch
//! (Lambda re-reads from that record) publishes the rest, so nothing is skipped and, per
//! channel, nothing is published out of order; within one invocation nothing is published
//! twice. Records published again by the retry carry the same `id`.
//!
//! The first test builds its records by hand. The second, ignored by a plain `cargo test`
//! because it needs Python with moto (`scripts/requirements-test.txt`), takes them from
//! moto's DynamoDB and DynamoDB Streams (`moto_server` on 127.0.0.1 and a free port;
//! `fixtures/moto_dynamodb_stream.py` writes items, reads the stream with GetShardIterator
//! and GetRecords, and adds what Lambda adds: `eventSourceARN`). `scripts/test.sh` runs it
//! with `cargo test -p e2e --test streams -- --ignored`; set `STREAMS_TEST_PYTHON` to a
//! Python that has moto (default `.dev/venv/bin/python3`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use testkit::binaries::{binary, workspace_root};
use testkit::dev_loop::{ACCESS_KEY, LocalEvents, SECRET_KEY};
use testkit::runtime::LambdaProcess;

/// Forwards `POST /event` to local-events, Host header and all (the signature covers it),
/// except requests whose body contains the armed marker: those get a 500.
struct FailingFront {
    url: String,
    marker: Arc<Mutex<Option<String>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Front {
    target: String,
    marker: Arc<Mutex<Option<String>>>,
    client: reqwest::Client,
}

async fn forward(
    State(front): State<Front>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let armed = front.marker.lock().expect("lock").clone();
    if armed.is_some_and(|m| String::from_utf8_lossy(&body).contains(&m)) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"errors":[{"errorType":"InternalFailure","message":"injected"}]}"#.into(),
        );
    }
    let response = front
        .client
        .post(format!("{}/event", front.target))
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("local-events answers");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
    (status, response.text().await.expect("body"))
}

impl FailingFront {
    async fn start(target: &str) -> Self {
        let marker = Arc::new(Mutex::new(None));
        let front = Front {
            target: target.to_owned(),
            marker: marker.clone(),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
        };
        let app = Router::new()
            .route("/event", post(forward))
            .with_state(front);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self { url, marker, task }
    }

    fn fail_requests_containing(&self, marker: Option<&str>) {
        *self.marker.lock().expect("lock") = marker.map(str::to_owned);
    }
}

impl Drop for FailingFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Stack {
    events: LocalEvents,
    front: FailingFront,
    publisher: LambdaProcess,
}

impl Stack {
    async fn start(pattern: &str) -> Self {
        let events = LocalEvents::start(&["--region", "us-east-1"], &[]).await;
        let front = FailingFront::start(&events.url).await;
        let publisher = LambdaProcess::start(
            &binary("publisher"),
            &[
                ("EVENTS_ENDPOINT", front.url.as_str()),
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
                ("PUBLISH_MAX_ATTEMPTS", "2"),
                ("PUBLISH_DYNAMODB_CHANNEL", pattern),
            ],
        )
        .await;
        Self {
            events,
            front,
            publisher,
        }
    }

    async fn invoke(&self, batch: &Value) -> Value {
        self.publisher.invoke(batch).await.expect_response()
    }

    /// The events local-events accepted on `channel`, oldest first (IAM-signed, verified).
    async fn received(&self, channel: &str) -> Vec<Value> {
        self.received_text(channel)
            .await
            .iter()
            .map(|text| serde_json::from_str(text).expect("JSON"))
            .collect()
    }

    /// The same, as the JSON text that was published (a `Value` would round numbers).
    async fn received_text(&self, channel: &str) -> Vec<String> {
        let url = format!(
            "{}/_local/events?limit=1000&channel={channel}",
            self.events.url
        );
        let body: Value = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(url)
            .send()
            .await
            .expect("GET /_local/events")
            .json()
            .await
            .expect("JSON");
        body["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                assert_eq!(e["authMode"], "AWS_IAM", "{e}");
                e["event"].as_str().expect("a JSON string").to_owned()
            })
            .collect()
    }
}

/// A `NEW_AND_OLD_IMAGES` INSERT of `{pk, sk, note}` as Lambda delivers it.
fn insert(pk: &str, sk: u32, note: &str) -> Value {
    let keys = json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}});
    let mut image = keys.clone();
    image["note"] = json!({"S": note});
    json!({
        "eventID": format!("event-{sk}"), "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders/stream/2026-12-05T00:00:00.000",
        "dynamodb": {
            "ApproximateCreationDateTime": 1764925200.0, "Keys": keys, "NewImage": image,
            "SequenceNumber": format!("{:024}", 1000 + sk), "SizeBytes": 60,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    })
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}

fn failures(answer: &Value) -> Vec<String> {
    answer["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures")
        .iter()
        .map(|f| {
            f["itemIdentifier"]
                .as_str()
                .expect("itemIdentifier")
                .to_owned()
        })
        .collect()
}

/// The records of `batch` from the one whose sequence number is `from`: what Lambda
/// delivers again after a `batchItemFailures` answer naming it.
fn from_sequence_number(batch: &Value, from: &str) -> Value {
    let records = batch["Records"].as_array().expect("records");
    let start = records
        .iter()
        .position(|r| r["dynamodb"]["SequenceNumber"] == from)
        .expect("the named record is in the batch");
    json!({"Records": records[start..]})
}

#[tokio::test]
async fn a_failed_request_names_the_first_unpublished_record_and_the_retry_skips_nothing() {
    let stack = Stack::start("/default/orders/{Keys.pk}").await;
    // Channel a: records 0-5 (two requests: 0-4, then 5). Channel b: records 6-8.
    let mut records: Vec<Value> = (0..6).map(|sk| insert("a", sk, "ok")).collect();
    records[5] = insert("a", 5, "poison");
    records.extend((6..9).map(|sk| insert("b", sk, "ok")));
    let batch = json!({"Records": records});

    stack.front.fail_requests_containing(Some("poison"));
    let answer = stack.invoke(&batch).await;
    assert_eq!(failures(&answer), [format!("{:024}", 1005)], "{answer}");
    let a = stack.received("/default/orders/a").await;
    let b = stack.received("/default/orders/b").await;
    assert_eq!(
        ids(&a),
        ["event-0", "event-1", "event-2", "event-3", "event-4"]
    );
    assert_eq!(
        ids(&b),
        ["event-6", "event-7", "event-8"],
        "other channels go on"
    );

    // Lambda retries from the named record; the endpoint has recovered.
    stack.front.fail_requests_containing(None);
    let retry = from_sequence_number(&batch, &failures(&answer)[0]);
    let answer = stack.invoke(&retry).await;
    assert_eq!(failures(&answer), Vec::<String>::new(), "{answer}");
    let a = stack.received("/default/orders/a").await;
    assert_eq!(
        ids(&a),
        [
            "event-0", "event-1", "event-2", "event-3", "event-4", "event-5"
        ],
        "channel a: every record once, in order"
    );
    assert_eq!(a[5]["newImage"]["note"], "poison");
    // At least once: b's records were published again by the retry, with the same ids.
    let b = stack.received("/default/orders/b").await;
    assert_eq!(
        ids(&b),
        [
            "event-6", "event-7", "event-8", "event-6", "event-7", "event-8"
        ]
    );
}

#[tokio::test]
async fn a_record_whose_value_is_not_a_segment_stops_the_batch_at_that_record() {
    let stack = Stack::start("/default/orders/{NewImage.note}").await;
    let batch = json!({"Records": [
        insert("a", 0, "first"),
        insert("a", 1, "../admin"),
        insert("a", 2, "first"),
    ]});
    let answer = stack.invoke(&batch).await;
    assert_eq!(failures(&answer), [format!("{:024}", 1001)], "{answer}");
    assert_eq!(
        ids(&stack.received("/default/orders/first").await),
        ["event-0"]
    );
    let everything = stack.received("/default/*").await;
    assert_eq!(ids(&everything), ["event-0"], "never another channel");
    assert!(
        stack
            .publisher
            .logs()
            .iter()
            .any(|l| l.contains("not a channel segment")),
        "{:?}",
        stack.publisher.logs()
    );
}

/// `moto_server` on 127.0.0.1 and a free port; killed on drop.
struct Moto {
    child: std::process::Child,
    endpoint: String,
    python: PathBuf,
}

impl Moto {
    fn start() -> Self {
        let python = std::env::var_os("STREAMS_TEST_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join(".dev/venv/bin/python3"));
        let has_moto = std::process::Command::new(&python)
            .args(["-c", "import moto, boto3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            has_moto,
            "{} cannot import moto and boto3: install scripts/requirements-test.txt, or set STREAMS_TEST_PYTHON",
            python.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let child = std::process::Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto_server not listening"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            endpoint,
            python,
        }
    }

    fn script(&self, args: &[&str]) -> String {
        let output = std::process::Command::new(&self.python)
            .arg(workspace_root().join("tests/e2e/fixtures/moto_dynamodb_stream.py"))
            .arg(args[0])
            .arg(&self.endpoint)
            .args(&args[1..])
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    fn write(&self, ops: &Value) {
        self.script(&["write", &ops.to_string()]);
    }

    fn read(&self, from: Option<&str>) -> Value {
        let mut args = vec!["read"];
        args.extend(from);
        serde_json::from_str(&self.script(&args)).expect("a Lambda event")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
#[ignore = "needs Python with moto (scripts/requirements-test.txt); scripts/test.sh runs it"]
async fn records_from_motos_dynamodb_stream_arrive_in_order_and_the_retry_point_holds() {
    let moto = Moto::start();
    let item = |pk: &str, sk: u32, note: &str| {
        json!({"put": {
            "pk": {"S": pk}, "sk": {"N": sk.to_string()}, "note": {"S": note},
            "total": {"N": "12345678901234567890123456789.0001"},
            "tags": {"SS": ["gift", "rush"]},
            "sizes": {"NS": ["1", "2.5"]}
        }})
    };
    let mut ops: Vec<Value> = (0..6).map(|sk| item("a", sk, "ok")).collect();
    ops[5] = item("a", 5, "poison");
    ops.extend((6..9).map(|sk| item("b", sk, "ok")));
    ops.push(item("a", 0, "changed")); // MODIFY
    ops.push(json!({"delete": {"pk": {"S": "b"}, "sk": {"N": "6"}}})); // REMOVE
    moto.write(&Value::Array(ops));
    let batch = moto.read(None);
    let records = batch["Records"].as_array().expect("records").clone();
    assert_eq!(records.len(), 11, "{batch}");
    let sequence = |i: usize| {
        records[i]["dynamodb"]["SequenceNumber"]
            .as_str()
            .expect("seq")
            .to_owned()
    };
    let event_id = |i: usize| records[i]["eventID"].as_str().expect("eventID").to_owned();

    let stack = Stack::start("/default/orders/{Keys.pk}").await;
    stack.front.fail_requests_containing(Some("poison"));
    let answer = stack.invoke(&batch).await;
    assert_eq!(failures(&answer), [sequence(5)], "{answer}");
    let a = stack.received("/default/orders/a").await;
    assert_eq!(ids(&a), (0..5).map(event_id).collect::<Vec<_>>());
    // moto's numbers, every digit; its sets; the change kind.
    let text = &stack.received_text("/default/orders/a").await[0];
    assert!(
        text.contains(r#""sizes":[1,2.5]"#)
            && text.contains(r#""total":12345678901234567890123456789.0001"#),
        "{text}"
    );
    assert_eq!(a[0]["newImage"]["tags"], json!(["gift", "rush"]));
    assert_eq!(a[0]["kind"], "INSERT");

    // Lambda re-reads the shard from the named record: moto's AT_SEQUENCE_NUMBER.
    stack.front.fail_requests_containing(None);
    let retry = moto.read(Some(&sequence(5)));
    assert_eq!(retry["Records"][0]["eventID"], event_id(5).as_str());
    let answer = stack.invoke(&retry).await;
    assert_eq!(failures(&answer), Vec::<String>::new(), "{answer}");

    let a = stack.received("/default/orders/a").await;
    let expected_a: Vec<String> = [0, 1, 2, 3, 4, 5, 9].into_iter().map(event_id).collect();
    assert_eq!(
        ids(&a),
        expected_a,
        "channel a: every record once, in order"
    );
    assert_eq!(a[6]["kind"], "MODIFY");
    assert_eq!(a[6]["oldImage"]["note"], "ok");
    assert_eq!(a[6]["newImage"]["note"], "changed");
    let b = stack.received("/default/orders/b").await;
    let mut deduplicated = ids(&b);
    let mut seen = std::collections::HashSet::new();
    deduplicated.retain(|id| seen.insert(id.clone()));
    assert_eq!(
        deduplicated,
        [6, 7, 8, 10].into_iter().map(event_id).collect::<Vec<_>>(),
        "channel b after deduplicating on id"
    );
    let removed = b.last().expect("the REMOVE");
    assert_eq!(removed["kind"], "REMOVE");
    assert!(removed.get("newImage").is_none(), "{removed}");
    assert_eq!(removed["oldImage"]["sk"], 6);
}

/// Every `sam deploy --parameter-overrides K=V …` command of docs/streams.md.
fn documented_deploys() -> Vec<Vec<(String, String)>> {
    let text = std::fs::read_to_string(workspace_root().join("docs/streams.md")).expect("docs");
    let mut deploys = Vec::new();
    for block in text.split("```sh\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let command = block.replace("\\\n", " ");
        let words: Vec<&str> = command.split_whitespace().collect();
        assert!(
            words.starts_with(&["sam", "deploy", "--parameter-overrides"]),
            "{block}"
        );
        deploys.push(
            words[3..]
                .iter()
                .map(|w| {
                    let (k, v) = w.split_once('=').expect("Key=Value");
                    (k.to_owned(), v.trim_matches(['\'', '"']).to_owned())
                })
                .collect(),
        );
    }
    deploys
}

#[test]
fn the_documented_deploys_wire_the_triggers_with_stream_semantics() {
    let template = testkit::cfn::Template::load(&workspace_root().join("template.yaml"));
    let deploys = documented_deploys();
    assert_eq!(deploys.len(), 2, "a DynamoDB and a Kinesis deploy");
    for (params, trigger, variable) in [
        (
            &deploys[0],
            "DynamoDbStreamTrigger",
            "PUBLISH_DYNAMODB_CHANNEL",
        ),
        (
            &deploys[1],
            "KinesisStreamTrigger",
            "PUBLISH_KINESIS_CHANNEL",
        ),
    ] {
        let stack = template.stack(params).expect("parameters accepted");
        assert_eq!(stack.refusals().expect("rules"), [], "{params:?}");
        let env = stack.environment("PublisherFunction").expect("env");
        let pattern = &env[variable];
        if variable == "PUBLISH_DYNAMODB_CHANNEL" {
            stream_events::DynamoDbMapping::new(pattern).expect("the function accepts it");
        } else {
            stream_events::KinesisMapping::new(pattern).expect("the function accepts it");
        }
        let mapping = stack.resource(trigger).expect("renders").expect("created");
        let p = &mapping["Properties"];
        assert_eq!(
            p["FunctionResponseTypes"],
            json!(["ReportBatchItemFailures"])
        );
        assert_eq!(p["BisectBatchOnFunctionError"], false);
        assert!(
            p["DestinationConfig"]["OnFailure"]["Destination"].is_string(),
            "{p}"
        );
        let arn = if trigger == "DynamoDbStreamTrigger" {
            "DynamoDbStreamArn"
        } else {
            "KinesisStreamArn"
        };
        assert_eq!(p["EventSourceArn"].as_str(), stack.parameter(arn));
    }
    // The DynamoDB deploy: its filter, and a queue the stack creates for failures.
    let stack = template.stack(&deploys[0]).expect("stack");
    let p = &stack
        .resource("DynamoDbStreamTrigger")
        .expect("renders")
        .expect("created")["Properties"];
    assert_eq!(
        p["FilterCriteria"],
        json!({"Filters": [{"Pattern": r#"{"eventName":["INSERT","MODIFY"]}"#}]})
    );
    assert_eq!(
        p["DestinationConfig"]["OnFailure"]["Destination"],
        "<StreamFailureQueue.Arn>"
    );
    assert!(
        stack
            .resource("KinesisStreamTrigger")
            .expect("renders")
            .is_none()
    );
    // The Kinesis deploy: the given destination, no filter, no queue created.
    let stack = template.stack(&deploys[1]).expect("stack");
    let p = &stack
        .resource("KinesisStreamTrigger")
        .expect("renders")
        .expect("created")["Properties"];
    assert_eq!(
        p["DestinationConfig"]["OnFailure"]["Destination"].as_str(),
        stack.parameter("StreamFailureDestinationArn")
    );
    assert!(p.get("FilterCriteria").is_none(), "{p}");
    assert!(
        stack
            .resource("StreamFailureQueue")
            .expect("renders")
            .is_none()
    );
    // A stream without its pattern is refused before anything is created.
    let without: Vec<(String, String)> = deploys[0]
        .iter()
        .filter(|(k, _)| k != "DynamoDbChannelPattern")
        .cloned()
        .collect();
    let refusals = template
        .stack(&without)
        .expect("stack")
        .refusals()
        .expect("rules");
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].rule, "DynamoDbStreamNeedsPattern");
    // No stream parameters: nothing of the triggers exists.
    let plain = template
        .stack(&[(
            "JwtIssuer".to_owned(),
            "https://example-project.supabase.co/auth/v1".to_owned(),
        )])
        .expect("stack");
    for resource in [
        "DynamoDbStreamTrigger",
        "KinesisStreamTrigger",
        "StreamFailureQueue",
    ] {
        assert!(
            plain.resource(resource).expect("renders").is_none(),
            "{resource}"
        );
    }
}
