//! Turn DynamoDB Streams and Kinesis records into AppSync Events channel events.
//!
//! ```
//! use stream_events::{DynamoDbMapping, DynamoDbRecord};
//!
//! let mapping = DynamoDbMapping::new("/default/orders/{Keys.pk}")?;
//! let record: DynamoDbRecord = serde_json::from_value(serde_json::json!({
//!     "awsRegion": "eu-west-1", "eventID": "c4ca4238a0b9", "eventName": "INSERT",
//!     "dynamodb": {
//!         "Keys": {"pk": {"S": "o-1001"}},
//!         "NewImage": {"pk": {"S": "o-1001"}, "total": {"N": "12345678901234567890.25"}},
//!         "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_IMAGE"
//!     }
//! }))?;
//! let event = mapping.map(&record)?;
//! assert_eq!(event.channel, "/default/orders/o-1001");
//! assert_eq!(
//!     event.event.get(),
//!     r#"{"id":"c4ca4238a0b9","kind":"INSERT","sequenceNumber":"111","keys":{"pk":"o-1001"},"newImage":{"pk":"o-1001","total":12345678901234567890.25}}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The mapping is configuration, not code: a channel pattern such as
//! `/default/orders/{Keys.pk}` names where each record goes, and the event is the record's
//! content as plain JSON. Every value substituted into a channel must be a valid channel
//! segment (letters, digits and `-`, at most 50): a record whose value is not is that
//! record's error ([`StreamEventError`]), never a different channel. The namespace (the
//! first segment) is always literal.
//!
//! Events carry an `id` (the record's `eventID`, stable across Lambda's retries) that
//! subscribers deduplicate on: stream triggers deliver at least once.
//!
//! The crate reads no environment variables and knows nothing of the Lambda runtime.
//!
//! # Layout
//! - `pattern`: channel patterns — parsing, and rendering with each value checked.
//! - `attribute`: DynamoDB's typed JSON (`{"N": "1.5"}`) written as plain JSON, numbers
//!   exact, sets as arrays, binary as base64.
//! - `dynamodb`: [`DynamoDbMapping`], a DynamoDB Streams record to a [`ChannelEvent`].
//! - `kinesis`: [`KinesisMapping`], a Kinesis record (JSON data) to a [`ChannelEvent`].
//! - `error`: the crate's error type, [`StreamEventError`].

#![warn(missing_docs, unreachable_pub)]

mod attribute;
mod dynamodb;
mod error;
mod kinesis;
mod pattern;

pub use dynamodb::DynamoDbMapping;
pub use error::StreamEventError;
pub use kinesis::KinesisMapping;

/// A DynamoDB Streams record as Lambda delivers it (one of an event's `Records`).
pub use aws_lambda_events::event::dynamodb::EventRecord as DynamoDbRecord;
/// A Kinesis record as Lambda delivers it (one of an event's `Records`).
pub use aws_lambda_events::event::kinesis::KinesisEventRecord as KinesisRecord;

use serde_json::value::RawValue;

/// One record, mapped: where it goes and what is sent.
#[derive(Debug, Clone)]
pub struct ChannelEvent {
    /// The concrete channel, every substituted segment checked.
    pub channel: String,
    /// The event, already serialized (so numbers keep every digit).
    pub event: Box<RawValue>,
    /// The event's `id`, also inside `event`: what subscribers deduplicate on.
    pub id: String,
}
