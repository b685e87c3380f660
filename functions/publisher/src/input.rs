//! Recognizing what invoked the function, and parsing it.
//!
//! Shapes, checked in this order: a JSON array (direct, several inputs); an object with
//! `Records` from DynamoDB Streams or Kinesis ([`crate::streams`]); an object with
//! `Records` (SQS — every record must have `eventSource: "aws:sqs"`); an object with
//! `detail-type` and `detail` (EventBridge); an object with `channel` or `events` (direct,
//! one input). An input is `{"channel": "...", "events": [...]}` with at least one event.
//! A malformed SQS body is kept as an item (its message is reported as failed); any other
//! malformed input is an error.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use events_publisher::PublishInput;
use serde_json::Value;

use crate::error::FunctionError;

/// A recognized invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// Direct invoke: one or more inputs.
    Direct(Vec<PublishInput>),
    /// SQS: per message, its id and its input (or why its body is malformed).
    Sqs(Vec<SqsItem>),
    /// DynamoDB Streams or Kinesis: the records of one shard, in order.
    Stream(crate::streams::StreamBatch),
    /// EventBridge: the event id and the input in `detail`.
    EventBridge {
        /// The EventBridge event id, for logs.
        id: Option<String>,
        /// The input.
        input: PublishInput,
    },
}

/// One SQS message.
#[derive(Debug, Clone, PartialEq)]
pub struct SqsItem {
    /// `messageId`, reported back in `batchItemFailures`.
    pub message_id: String,
    /// The parsed body, or why it could not be used.
    pub input: Result<PublishInput, String>,
}

/// Recognizes the input shape and parses it (see the module docs).
pub fn parse(payload: Value) -> Result<Invocation, FunctionError> {
    match payload {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                parse_input(item)
                    .map_err(|e| FunctionError::InvalidInput(format!("input {i}: {e}")))
            })
            .collect::<Result<_, _>>()
            .map(Invocation::Direct),
        Value::Object(ref object) if crate::streams::is_stream(object) => {
            crate::streams::parse(payload).map(Invocation::Stream)
        }
        Value::Object(ref object) if object.contains_key("Records") => parse_sqs(payload),
        Value::Object(ref object)
            if object.contains_key("detail-type") && object.contains_key("detail") =>
        {
            let event: EventBridgeEvent<Value> = serde_json::from_value(payload)
                .map_err(|e| FunctionError::InvalidInput(format!("EventBridge event: {e}")))?;
            let input = parse_input(event.detail)
                .map_err(|e| FunctionError::InvalidInput(format!("EventBridge detail: {e}")))?;
            Ok(Invocation::EventBridge {
                id: event.id,
                input,
            })
        }
        Value::Object(ref object)
            if object.contains_key("channel") || object.contains_key("events") =>
        {
            parse_input(payload)
                .map(|input| Invocation::Direct(vec![input]))
                .map_err(FunctionError::InvalidInput)
        }
        Value::Object(object) => Err(FunctionError::UnrecognizedInput(format!(
            "an object with keys {:?}",
            object.keys().take(8).collect::<Vec<_>>()
        ))),
        other => Err(FunctionError::UnrecognizedInput(format!(
            "a JSON {}",
            kind(&other)
        ))),
    }
}

fn parse_sqs(payload: Value) -> Result<Invocation, FunctionError> {
    let event: SqsEvent = serde_json::from_value(payload)
        .map_err(|e| FunctionError::UnrecognizedInput(format!("Records: {e}")))?;
    event
        .records
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            if record.event_source.as_deref() != Some("aws:sqs") {
                return Err(FunctionError::UnrecognizedInput(format!(
                    "Records[{i}].eventSource is {:?}, not \"aws:sqs\"",
                    record.event_source
                )));
            }
            let message_id = record
                .message_id
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    FunctionError::InvalidInput(format!("Records[{i}] has no messageId"))
                })?;
            let input = match record.body.as_deref().map(serde_json::from_str::<Value>) {
                None => Err("the body is missing".to_owned()),
                Some(Err(e)) => Err(format!("the body is not JSON: {e}")),
                Some(Ok(body)) => parse_input(body),
            };
            Ok(SqsItem { message_id, input })
        })
        .collect::<Result<_, _>>()
        .map(Invocation::Sqs)
}

/// `{"channel": "...", "events": [...]}` with at least one event.
fn parse_input(value: Value) -> Result<PublishInput, String> {
    if !value.is_object() {
        return Err(format!("expected an object, got a JSON {}", kind(&value)));
    }
    let input: PublishInput = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if input.events.is_empty() {
        return Err(format!("no events for channel {:?}", input.channel));
    }
    Ok(input)
}

pub fn count(inputs: &[PublishInput]) -> usize {
    inputs.iter().map(|i| i.events.len()).sum()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample(name: &str) -> Value {
        let text = match name {
            "direct" => include_str!("../../../events/publisher/direct.json"),
            "direct-batch" => include_str!("../../../events/publisher/direct-batch.json"),
            "sqs" => include_str!("../../../events/publisher/sqs.json"),
            "eventbridge" => include_str!("../../../events/publisher/eventbridge.json"),
            other => panic!("no sample {other}"),
        };
        serde_json::from_str(text).expect("sample is JSON")
    }

    #[test]
    fn samples_are_recognized_as_their_kind() {
        let Ok(Invocation::Direct(one)) = parse(sample("direct")) else {
            panic!("direct")
        };
        assert_eq!((one.len(), one[0].events.len()), (1, 2));
        let Ok(Invocation::Direct(many)) = parse(sample("direct-batch")) else {
            panic!("direct-batch")
        };
        assert_eq!(count(&many), 9);
        let Ok(Invocation::Sqs(items)) = parse(sample("sqs")) else {
            panic!("sqs")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].message_id, "059f36b4-87a3-44ab-83d2-661975830a7d");
        assert_eq!(items[1].input.as_ref().map(|i| i.events.len()), Ok(2));
        let Ok(Invocation::EventBridge { id, input }) = parse(sample("eventbridge")) else {
            panic!("eventbridge")
        };
        assert_eq!(id.as_deref(), Some("6a7e8feb-b491-4cf7-a9f1-bf3703467718"));
        assert_eq!(input.channel, "/default/orders");
    }

    #[test]
    fn malformed_sqs_bodies_are_items_not_errors() {
        let mut event = sample("sqs");
        event["Records"][0]["body"] = json!("not json");
        event["Records"][1]["body"] = json!(r#"{"channel":"/default/x","events":[]}"#);
        let Ok(Invocation::Sqs(items)) = parse(event) else {
            panic!("sqs")
        };
        assert!(
            items[0]
                .input
                .as_ref()
                .is_err_and(|e| e.contains("not JSON"))
        );
        assert!(
            items[1]
                .input
                .as_ref()
                .is_err_and(|e| e.contains("no events"))
        );
    }

    #[test]
    fn records_from_other_sources_are_not_taken_for_sqs() {
        let mut event = sample("sqs");
        event["Records"][1]["eventSource"] = json!("aws:sns");
        assert!(matches!(
            parse(event),
            Err(FunctionError::UnrecognizedInput(_))
        ));
    }

    #[test]
    fn malformed_direct_inputs_are_errors_naming_the_input() {
        let err =
            parse(json!([{"channel": "/default/a", "events": [1]}, {"channel": "/default/b"}]))
                .expect_err("missing events");
        assert!(
            err.to_string().contains("input 1: missing field `events`"),
            "{err}"
        );
        let err = parse(json!({"channel": "/default/a", "events": []})).expect_err("empty");
        assert!(err.to_string().contains("no events"), "{err}");
        let err = parse(json!({"channel": 5, "events": [1]})).expect_err("bad type");
        assert!(matches!(err, FunctionError::InvalidInput(_)), "{err}");
        assert!(matches!(
            parse(json!("hello")),
            Err(FunctionError::UnrecognizedInput(_))
        ));
        assert!(matches!(
            parse(json!({"foo": 1})),
            Err(FunctionError::UnrecognizedInput(_))
        ));
        assert_eq!(parse(json!([])).ok(), Some(Invocation::Direct(vec![])));
    }
}
