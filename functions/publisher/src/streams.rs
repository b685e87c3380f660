//! DynamoDB Streams and Kinesis invocations, with stream semantics.
//!
//! A batch holds records of one shard, oldest first. Records are mapped to channel events
//! in order ([`stream_events`]); mapping stops at the first record that cannot be mapped
//! (malformed, a value that is not a channel segment, an event over the size limit). The
//! records before it are published in one call: one lane per channel, so each channel's
//! events go out in record order, and no event is sent twice within the invocation.
//!
//! The answer names the first record (in batch order) not published, and only that one:
//! Lambda retries from it, so nothing after it is skipped. Records after it that were
//! published on other channels are published again on the retry — delivery is at least
//! once, and every event carries an `id` subscribers deduplicate on (docs/streams.md).
//! A record without a sequence number cannot be named; then the invocation fails and
//! Lambda retries the whole batch.

use std::time::Instant;

use aws_lambda_events::event::streams::{DynamoDbEventResponse, KinesisEventResponse};
use events_publisher::{MAX_EVENT_BYTES, PublishInput, PublishReport, Publisher};
use serde::{Deserialize as _, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use stream_events::{ChannelEvent, DynamoDbRecord, KinesisRecord};

use crate::error::FunctionError;
use crate::streams_config::StreamsConfig;

/// Which stream a batch comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `eventSource: "aws:dynamodb"`.
    DynamoDb,
    /// `eventSource: "aws:kinesis"`.
    Kinesis,
}

impl Source {
    fn from_event_source(value: Option<&Value>) -> Option<Self> {
        match value.and_then(Value::as_str)? {
            "aws:dynamodb" => Some(Self::DynamoDb),
            "aws:kinesis" => Some(Self::Kinesis),
            _ => None,
        }
    }

    /// For logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::DynamoDb => "dynamodb",
            Self::Kinesis => "kinesis",
        }
    }
}

/// A stream batch: its source and its records, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamBatch {
    /// The source of every record.
    pub source: Source,
    /// The records as delivered (each parsed when it is mapped).
    pub records: Vec<Value>,
}

/// The answer to a stream invocation: `{"batchItemFailures": [...]}`, at most one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StreamAnswer {
    /// DynamoDB Streams.
    DynamoDb(DynamoDbEventResponse),
    /// Kinesis.
    Kinesis(KinesisEventResponse),
}

/// Whether `object` is a stream event: `Records` whose first record comes from DynamoDB
/// Streams or Kinesis.
pub fn is_stream(object: &Map<String, Value>) -> bool {
    let first = object
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|records| records.first());
    Source::from_event_source(first.and_then(|r| r.get("eventSource"))).is_some()
}

/// The batch, if every record comes from the same stream source.
pub fn parse(payload: Value) -> Result<StreamBatch, FunctionError> {
    let Value::Object(mut object) = payload else {
        return Err(FunctionError::UnrecognizedInput("not an object".into()));
    };
    let Some(Value::Array(records)) = object.remove("Records") else {
        return Err(FunctionError::UnrecognizedInput("no Records".into()));
    };
    let source = Source::from_event_source(records.first().and_then(|r| r.get("eventSource")))
        .ok_or_else(|| FunctionError::UnrecognizedInput("not a stream event".into()))?;
    for (i, record) in records.iter().enumerate() {
        if Source::from_event_source(record.get("eventSource")) != Some(source) {
            return Err(FunctionError::UnrecognizedInput(format!(
                "Records[{i}].eventSource is {}, but Records[0] is aws:{}: one batch comes from one stream",
                record.get("eventSource").unwrap_or(&Value::Null),
                source.name()
            )));
        }
    }
    Ok(StreamBatch { source, records })
}

/// The record's sequence number: what `batchItemFailures` names.
fn sequence_number(source: Source, record: &Value) -> Option<&str> {
    let pointer = match source {
        Source::DynamoDb => "/dynamodb/SequenceNumber",
        Source::Kinesis => "/kinesis/sequenceNumber",
    };
    record
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Maps one record, or says why it cannot be published.
fn map_record(
    config: &StreamsConfig,
    source: Source,
    record: &Value,
) -> Result<ChannelEvent, String> {
    let mapped = match source {
        Source::DynamoDb => {
            let mapping = config.dynamodb.as_ref().ok_or("unset")?;
            let record = DynamoDbRecord::deserialize(record)
                .map_err(|e| format!("malformed DynamoDB record: {e}"))?;
            mapping.map(&record)
        }
        Source::Kinesis => {
            let mapping = config.kinesis.as_ref().ok_or("unset")?;
            let record = KinesisRecord::deserialize(record)
                .map_err(|e| format!("malformed Kinesis record: {e}"))?;
            mapping.map(&record)
        }
    }
    .map_err(|e| e.to_string())?;
    let size = mapped.event.get().len();
    if size > MAX_EVENT_BYTES {
        return Err(format!(
            "the event is {size} bytes, over AppSync's {MAX_EVENT_BYTES}-byte limit"
        ));
    }
    Ok(mapped)
}

/// One publish input of a stream batch: a channel and its events as JSON text.
pub type StreamInput = PublishInput<Box<RawValue>>;

/// The inputs of one publish call (one per channel, events in record order) and, per
/// record, where its event is: `(input, index)`.
pub fn plan(mapped: Vec<ChannelEvent>) -> (Vec<StreamInput>, Vec<(usize, usize)>) {
    let mut inputs: Vec<StreamInput> = Vec::new();
    let mut positions = Vec::with_capacity(mapped.len());
    for event in mapped {
        let input = match inputs.iter().position(|i| i.channel == event.channel) {
            Some(input) => input,
            None => {
                inputs.push(PublishInput::new(event.channel, Vec::new()));
                inputs.len() - 1
            }
        };
        positions.push((input, inputs[input].events.len()));
        inputs[input].events.push(event.event);
    }
    (inputs, positions)
}

/// The first record not published: the first whose event the report does not confirm,
/// else `stop` (the first record that could not be mapped), else none.
pub fn retry_point(
    positions: &[(usize, usize)],
    report: &PublishReport,
    stop: Option<usize>,
) -> Option<usize> {
    let published = |&(input, index): &(usize, usize)| {
        report
            .inputs
            .get(input)
            .is_some_and(|o| o.refused.is_none() && !o.failures.iter().any(|f| f.index == index))
    };
    positions.iter().position(|p| !published(p)).or(stop)
}

/// Publishes a stream batch and answers with the retry point.
pub async fn handle(
    publisher: &Publisher,
    config: &StreamsConfig,
    batch: StreamBatch,
    deadline: Instant,
) -> Result<(StreamAnswer, PublishReport), FunctionError> {
    let source = batch.source;
    let variable = match source {
        Source::DynamoDb if config.dynamodb.is_none() => Some("PUBLISH_DYNAMODB_CHANNEL"),
        Source::Kinesis if config.kinesis.is_none() => Some("PUBLISH_KINESIS_CHANNEL"),
        _ => None,
    };
    if let Some(name) = variable {
        return Err(FunctionError::Config {
            name,
            reason: format!(
                "not set, but the function received {} records; set it (docs/streams.md) — Lambda retries this batch",
                source.name()
            ),
        });
    }
    let mut mapped = Vec::with_capacity(batch.records.len());
    let mut stop = None;
    for (index, record) in batch.records.iter().enumerate() {
        match map_record(config, source, record) {
            Ok(event) => mapped.push(event),
            Err(reason) => {
                tracing::warn!(
                    source = source.name(),
                    record = index,
                    sequence_number = sequence_number(source, record).unwrap_or_default(),
                    reason = %reason,
                    "stream record cannot be published; it and the records after it are retried"
                );
                stop = Some(index);
                break;
            }
        }
    }
    tracing::info!(
        kind = source.name(),
        records = batch.records.len(),
        mapped = mapped.len(),
        "invocation"
    );
    let (inputs, positions) = plan(mapped);
    let report = publisher.publish(&inputs, deadline).await;
    let first = retry_point(&positions, &report, stop);
    let identifier = match first {
        None => None,
        Some(index) => Some(
            sequence_number(source, &batch.records[index])
                .ok_or_else(|| {
                    FunctionError::InvalidInput(format!(
                        "record {index} was not published and has no sequence number to retry from; the whole batch is retried"
                    ))
                })?
                .to_owned(),
        ),
    };
    tracing::info!(
        kind = source.name(),
        published_records = first.unwrap_or(batch.records.len()),
        retry_from = identifier.as_deref().unwrap_or_default(),
        "invocation answered"
    );
    let answer = match source {
        Source::DynamoDb => {
            let mut response = DynamoDbEventResponse::default();
            if let Some(id) = identifier {
                response.batch_item_failures = vec![dynamodb_failure(id)];
            }
            StreamAnswer::DynamoDb(response)
        }
        Source::Kinesis => {
            let mut response = KinesisEventResponse::default();
            if let Some(id) = identifier {
                response.add_failure(id);
            }
            StreamAnswer::Kinesis(response)
        }
    };
    Ok((answer, report))
}

fn dynamodb_failure(id: String) -> aws_lambda_events::event::streams::DynamoDbBatchItemFailure {
    let mut failure = aws_lambda_events::event::streams::DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(id);
    failure
}

#[cfg(test)]
mod tests {
    use events_publisher::{EventFailure, InputOutcome};
    use serde_json::json;

    use super::*;

    fn event(channel: &str, n: u32) -> ChannelEvent {
        ChannelEvent {
            channel: channel.into(),
            event: RawValue::from_string(format!("{{\"n\":{n}}}")).expect("raw"),
            id: n.to_string(),
        }
    }

    fn report(plan: &[StreamInput], failed: &[(usize, usize)]) -> PublishReport {
        PublishReport {
            inputs: plan
                .iter()
                .enumerate()
                .map(|(input, i)| {
                    let failures: Vec<EventFailure> = failed
                        .iter()
                        .filter(|(f, _)| *f == input)
                        .map(|&(_, index)| EventFailure {
                            channel: i.channel.clone(),
                            index,
                            reason: "HTTP 500".into(),
                        })
                        .collect();
                    InputOutcome {
                        channel: i.channel.clone(),
                        published: i.events.len() - failures.len(),
                        failures,
                        refused: None,
                    }
                })
                .collect(),
            ..PublishReport::default()
        }
    }

    #[test]
    fn each_channel_keeps_record_order_and_each_record_is_sent_once() {
        let (inputs, positions) = plan(vec![
            event("/default/a", 0),
            event("/default/b", 1),
            event("/default/a", 2),
            event("/default/a", 3),
            event("/default/b", 4),
        ]);
        let sent: Vec<(&str, Vec<&str>)> = inputs
            .iter()
            .map(|i| {
                (
                    i.channel.as_str(),
                    i.events.iter().map(|e| e.get()).collect(),
                )
            })
            .collect();
        assert_eq!(
            sent,
            [
                ("/default/a", vec![r#"{"n":0}"#, r#"{"n":2}"#, r#"{"n":3}"#]),
                ("/default/b", vec![r#"{"n":1}"#, r#"{"n":4}"#]),
            ]
        );
        assert_eq!(positions, [(0, 0), (1, 0), (0, 1), (0, 2), (1, 1)]);
    }

    #[test]
    fn the_retry_point_is_the_first_record_not_published() {
        let (inputs, positions) = plan(vec![
            event("/default/a", 0),
            event("/default/b", 1),
            event("/default/a", 2),
            event("/default/b", 3),
        ]);
        // Everything published; a record that could not be mapped comes after them.
        assert_eq!(retry_point(&positions, &report(&inputs, &[]), None), None);
        assert_eq!(
            retry_point(&positions, &report(&inputs, &[]), Some(4)),
            Some(4)
        );
        // Channel b's second event failed (record 3), channel a's second (record 2) too:
        // record 2 comes first, whatever the order the lanes finished in.
        assert_eq!(
            retry_point(&positions, &report(&inputs, &[(1, 1), (0, 1)]), Some(4)),
            Some(2)
        );
        assert_eq!(
            retry_point(&positions, &report(&inputs, &[(1, 0), (1, 1)]), None),
            Some(1)
        );
        // A refused input publishes nothing.
        let mut refused = report(&inputs, &[]);
        refused.inputs[1].refused = Some("invalid channel".into());
        assert_eq!(retry_point(&positions, &refused, None), Some(1));
    }

    fn dynamodb(seq: &str, pk: Value) -> Value {
        json!({
            "eventID": format!("id-{seq}"), "eventName": "INSERT", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {"Keys": {"pk": pk}, "SequenceNumber": seq, "SizeBytes": 10, "StreamViewType": "KEYS_ONLY"}
        })
    }

    #[test]
    fn stream_batches_are_recognized_and_one_batch_is_one_source() {
        let batch = json!({"Records": [dynamodb("1", json!({"S": "a"})), dynamodb("2", json!({"S": "b"}))]});
        let Value::Object(object) = &batch else {
            panic!("object")
        };
        assert!(is_stream(object));
        let parsed = parse(batch.clone()).expect("parses");
        assert_eq!((parsed.source, parsed.records.len()), (Source::DynamoDb, 2));
        let mut mixed = batch;
        mixed["Records"][1]["eventSource"] = json!("aws:kinesis");
        assert!(matches!(
            parse(mixed),
            Err(FunctionError::UnrecognizedInput(_))
        ));
        let sqs = json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m"}]});
        let Value::Object(object) = &sqs else {
            panic!("object")
        };
        assert!(!is_stream(object));
    }

    #[test]
    fn mapping_failures_name_the_record_and_oversize_events_fail() {
        let config = StreamsConfig {
            dynamodb: Some(
                stream_events::DynamoDbMapping::new("/default/o/{Keys.pk}").expect("pattern"),
            ),
            kinesis: None,
        };
        assert!(
            map_record(
                &config,
                Source::DynamoDb,
                &dynamodb("1", json!({"S": "ok"}))
            )
            .is_ok()
        );
        let err = map_record(
            &config,
            Source::DynamoDb,
            &dynamodb("2", json!({"S": "a/b"})),
        )
        .expect_err("not a segment");
        assert!(err.contains("Keys.pk"), "{err}");
        let mut big = dynamodb("3", json!({"S": "ok"}));
        big["dynamodb"]["Keys"]["blob"] = json!({"S": "x".repeat(MAX_EVENT_BYTES)});
        let err = map_record(&config, Source::DynamoDb, &big).expect_err("too big");
        assert!(err.contains("limit"), "{err}");
        let err = map_record(
            &config,
            Source::DynamoDb,
            &json!({"eventSource": "aws:dynamodb"}),
        )
        .expect_err("malformed");
        assert!(err.starts_with("malformed DynamoDB record"), "{err}");
        assert_eq!(sequence_number(Source::DynamoDb, &big), Some("3"));
    }

    #[test]
    fn the_samples_map_with_the_development_patterns() {
        let config = StreamsConfig {
            dynamodb: Some(
                stream_events::DynamoDbMapping::new("/default/orders/{Keys.pk}").expect("pattern"),
            ),
            kinesis: Some(
                stream_events::KinesisMapping::new("/default/devices/{partitionKey}")
                    .expect("pattern"),
            ),
        };
        for (text, source, channel) in [
            (
                include_str!("../../../events/publisher/dynamodb.json"),
                Source::DynamoDb,
                "/default/orders/o-1001",
            ),
            (
                include_str!("../../../events/publisher/kinesis.json"),
                Source::Kinesis,
                "/default/devices/device-7",
            ),
        ] {
            let batch = parse(serde_json::from_str(text).expect("JSON")).expect("a stream batch");
            assert_eq!(batch.source, source);
            for record in &batch.records {
                let mapped = map_record(&config, source, record).expect("maps");
                assert_eq!(mapped.channel, channel);
                assert!(sequence_number(source, record).is_some());
            }
        }
    }
}
