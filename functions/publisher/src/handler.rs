//! One invocation: detect the input shape, publish, answer in that shape's terms.
//!
//! | Input | Detected by | Answer |
//! |---|---|---|
//! | Direct | an object with `channel`/`events`, or an array of them | `{"published": n, "failed": [{"channel","index","reason"}]}` |
//! | SQS | `Records[*].eventSource == "aws:sqs"`; each body is a direct object | `{"batchItemFailures": [{"itemIdentifier": messageId}]}` for every message not fully published, malformed ones included |
//! | EventBridge | `detail-type` and `detail`; `detail` is a direct object | the direct answer on success; an error otherwise, so EventBridge retries and then uses its DLQ |
//! | DynamoDB Streams, Kinesis | `Records[0].eventSource` is `aws:dynamodb` / `aws:kinesis` | `{"batchItemFailures": [{"itemIdentifier": <sequence number>}]}` naming the first record not published, or empty (see [`crate::streams`]) |
//!
//! Shapes are recognized in [`crate::input`]. A malformed direct or EventBridge input (not
//! the documented shape, or no events) is an error and nothing is sent. The publishing deadline is the invocation's deadline minus
//! [`DEADLINE_MARGIN`], left for answering.

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::SqsBatchResponse;
use events_publisher::{EventFailure, PublishInput, PublishReport, Publisher};
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use crate::error::FunctionError;
use crate::input::{Invocation, SqsItem, count, parse};
use crate::metrics::Metrics;
use crate::streams::StreamAnswer;
use crate::streams_config::StreamsConfig;

/// Time kept back from the invocation deadline to post the answer.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// The answer to a direct or EventBridge invocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectAnswer {
    /// Events confirmed published.
    pub published: usize,
    /// Events not published, always present (empty on full success).
    pub failed: Vec<EventFailure>,
}

/// What the function returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// Direct and EventBridge invocations.
    Direct(DirectAnswer),
    /// SQS invocations.
    Sqs(SqsBatchResponse),
    /// DynamoDB Streams and Kinesis invocations.
    Stream(StreamAnswer),
}

/// Handles one invocation.
pub async fn handle(
    publisher: &Publisher,
    metrics: Option<&Metrics>,
    streams: &StreamsConfig,
    event: LambdaEvent<Value>,
) -> Result<Answer, FunctionError> {
    let record = |report: &PublishReport| {
        if let Some(metrics) = metrics {
            metrics.record(report);
        }
    };
    let (payload, context) = event.into_parts();
    let deadline = publish_deadline(context.deadline(), SystemTime::now(), Instant::now());
    match parse(payload)? {
        Invocation::Direct(inputs) => {
            tracing::info!(
                kind = "direct",
                inputs = inputs.len(),
                events = count(&inputs),
                "invocation"
            );
            let report = publisher.publish(&inputs, deadline).await;
            record(&report);
            Ok(Answer::Direct(direct_answer(report)))
        }
        Invocation::Sqs(items) => {
            let inputs: Vec<PublishInput> =
                items.iter().filter_map(|i| i.input.clone().ok()).collect();
            tracing::info!(
                kind = "sqs",
                records = items.len(),
                malformed = items.len() - inputs.len(),
                events = count(&inputs),
                "invocation"
            );
            for item in &items {
                if let Err(reason) = &item.input {
                    tracing::warn!(message_id = %item.message_id, reason = %reason, "malformed SQS message; reported as a batch item failure");
                }
            }
            let report = publisher.publish(&inputs, deadline).await;
            record(&report);
            let answer = sqs_answer(&items, &report);
            tracing::info!(
                kind = "sqs",
                failed_records = answer.batch_item_failures.len(),
                "invocation answered"
            );
            Ok(Answer::Sqs(answer))
        }
        Invocation::EventBridge { id, input } => {
            tracing::info!(
                kind = "eventbridge",
                event_id = id.as_deref().unwrap_or_default(),
                events = input.events.len(),
                "invocation"
            );
            let report = publisher
                .publish(std::slice::from_ref(&input), deadline)
                .await;
            record(&report);
            eventbridge_answer(report)
        }
        Invocation::Stream(batch) => {
            let (answer, report) =
                crate::streams::handle(publisher, streams, batch, deadline).await?;
            record(&report);
            Ok(Answer::Stream(answer))
        }
    }
}

/// The direct answer.
pub fn direct_answer(report: PublishReport) -> DirectAnswer {
    DirectAnswer {
        published: report.published(),
        failed: report.inputs.into_iter().flat_map(|i| i.failures).collect(),
    }
}

/// `batchItemFailures`: every malformed message and every message whose input was not
/// fully published, in record order. `report.inputs` matches the well-formed items, in order.
pub fn sqs_answer(items: &[SqsItem], report: &PublishReport) -> SqsBatchResponse {
    let mut outcomes = report.inputs.iter();
    let mut response = SqsBatchResponse::default();
    for item in items {
        let complete = item.input.is_ok() && outcomes.next().is_some_and(|o| o.is_complete());
        if !complete {
            response.add_failure(item.message_id.clone());
        }
    }
    response
}

/// Success, or an error that makes EventBridge retry.
pub fn eventbridge_answer(report: PublishReport) -> Result<Answer, FunctionError> {
    if report.is_complete() {
        return Ok(Answer::Direct(direct_answer(report)));
    }
    let answer = direct_answer(report);
    let first = answer.failed.first().map_or_else(
        || "input refused".to_owned(),
        |f| format!("{}[{}]: {}", f.channel, f.index, f.reason),
    );
    Err(FunctionError::PublishIncomplete {
        published: answer.published,
        failed: answer.failed.len(),
        first,
    })
}

/// Budget used when the runtime reports a deadline that cannot be a real one.
pub const UNKNOWN_DEADLINE_BUDGET: Duration = Duration::from_secs(60);

/// How far in the past a deadline must be to be recognised as bogus rather than missed.
const BOGUS_DEADLINE_AGE: Duration = Duration::from_secs(3600);

/// The instant publishing must be done by: the invocation deadline minus
/// [`DEADLINE_MARGIN`], converted to the monotonic clock (`now` in both clocks).
///
/// Lambda sends an absolute deadline in the future. `cargo lambda watch` sends a relative
/// number of milliseconds (`600000`), which reads as a date in 1970: a deadline more than an
/// hour in the past is treated as unknown and [`UNKNOWN_DEADLINE_BUDGET`] applies, instead of
/// publishing nothing.
pub fn publish_deadline(deadline: SystemTime, now: SystemTime, now_instant: Instant) -> Instant {
    let remaining = match deadline.duration_since(now) {
        Ok(remaining) => remaining,
        Err(past) if past.duration() > BOGUS_DEADLINE_AGE => {
            tracing::warn!(
                budget_ms = UNKNOWN_DEADLINE_BUDGET.as_millis() as u64,
                "the runtime reported a deadline in the distant past (a local emulator?); using a fixed budget"
            );
            UNKNOWN_DEADLINE_BUDGET
        }
        Err(_) => Duration::ZERO,
    };
    now_instant + remaining.saturating_sub(DEADLINE_MARGIN)
}

#[cfg(test)]
mod tests {
    use events_publisher::InputOutcome;
    use serde_json::json;

    use super::*;

    fn outcome(channel: &str, published: usize, failed: &[usize]) -> InputOutcome {
        InputOutcome {
            channel: channel.into(),
            published,
            failures: failed
                .iter()
                .map(|&index| EventFailure {
                    channel: channel.into(),
                    index,
                    reason: "HTTP 500".into(),
                })
                .collect(),
            refused: None,
        }
    }

    fn report(inputs: Vec<InputOutcome>) -> PublishReport {
        PublishReport {
            inputs,
            ..PublishReport::default()
        }
    }

    #[test]
    fn direct_answer_always_has_failed() {
        let answer = direct_answer(report(vec![outcome("/default/a", 2, &[])]));
        assert_eq!(
            serde_json::to_value(Answer::Direct(answer)).expect("serializes"),
            json!({"published": 2, "failed": []})
        );
        let answer = direct_answer(report(vec![
            outcome("/default/a", 1, &[1]),
            outcome("/default/b", 0, &[0]),
        ]));
        assert_eq!(
            serde_json::to_value(Answer::Direct(answer)).expect("serializes"),
            json!({"published": 1, "failed": [
                {"channel": "/default/a", "index": 1, "reason": "HTTP 500"},
                {"channel": "/default/b", "index": 0, "reason": "HTTP 500"}
            ]})
        );
    }

    #[test]
    fn sqs_answer_names_exactly_the_incomplete_and_malformed_messages() {
        let item = |id: &str, ok: bool| SqsItem {
            message_id: id.into(),
            input: if ok {
                Ok(PublishInput::new("/default/a", vec![json!(1)]))
            } else {
                Err("bad".into())
            },
        };
        let items = [
            item("m1", true),
            item("m2", false),
            item("m3", true),
            item("m4", true),
        ];
        let report = report(vec![
            outcome("/default/a", 1, &[]),
            outcome("/default/a", 0, &[0]),
            outcome("/default/a", 1, &[]),
        ]);
        assert_eq!(
            serde_json::to_value(Answer::Sqs(sqs_answer(&items, &report))).expect("serializes"),
            json!({"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]})
        );
    }

    #[test]
    fn eventbridge_failure_is_an_error_and_success_an_answer() {
        assert!(eventbridge_answer(report(vec![outcome("/default/a", 1, &[])])).is_ok());
        let err = eventbridge_answer(report(vec![outcome("/default/a", 1, &[1])]))
            .expect_err("incomplete");
        assert_eq!(
            err.to_string(),
            "1 event(s) not published (1 published); first failure: /default/a[1]: HTTP 500"
        );
    }

    #[test]
    fn deadline_keeps_a_margin_and_never_lies_in_the_past_of_now() {
        let now = SystemTime::now();
        let instant = Instant::now();
        assert_eq!(
            publish_deadline(now + Duration::from_secs(3), now, instant),
            instant + Duration::from_millis(2500)
        );
        assert_eq!(
            publish_deadline(now + Duration::from_millis(200), now, instant),
            instant
        );
        assert_eq!(
            publish_deadline(now - Duration::from_secs(1), now, instant),
            instant
        );
    }

    #[test]
    fn a_relative_deadline_from_an_emulator_gets_a_fixed_budget() {
        let now = SystemTime::now();
        let instant = Instant::now();
        // cargo lambda watch sends `lambda-runtime-deadline-ms: 600000`.
        let emulator = std::time::UNIX_EPOCH + Duration::from_millis(600_000);
        assert_eq!(
            publish_deadline(emulator, now, instant),
            instant + UNKNOWN_DEADLINE_BUDGET - DEADLINE_MARGIN
        );
    }
}
