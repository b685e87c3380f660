//! Kinesis records (JSON data) to channel events.
//!
//! The record's data must be JSON; it is sent as it is (numbers keep every digit):
//!
//! ```json
//! {"id": "<eventID>", "partitionKey": "…", "sequenceNumber": "…", "data": <the record's JSON>}
//! ```
//!
//! `id` is the record's `eventID` (`shardId-…:<sequence number>`), or the sequence number
//! when a record has no `eventID`. Placeholders: `{partitionKey}` and `{data.<field>}`, a
//! dotted path into JSON objects (`{data.device.id}`).

use std::collections::HashMap;

use aws_lambda_events::event::kinesis::KinesisEventRecord;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::ChannelEvent;
use crate::error::StreamEventError;
use crate::pattern::{ChannelPattern, Placeholder, Root};

const ROOTS: &[Root] = &[("partitionKey", false), ("data", true)];

/// Maps Kinesis records whose data is JSON to channel events with one channel pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisMapping {
    channel: ChannelPattern,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    id: &'a str,
    partition_key: &'a str,
    sequence_number: &'a str,
    data: &'a RawValue,
}

impl KinesisMapping {
    /// A mapping whose channel is `pattern`, e.g. `/default/devices/{data.deviceId}`.
    ///
    /// # Errors
    /// [`StreamEventError::InvalidPattern`].
    pub fn new(pattern: &str) -> Result<Self, StreamEventError> {
        Ok(Self {
            channel: ChannelPattern::parse(pattern, ROOTS)?,
        })
    }

    /// The pattern as given.
    pub fn pattern(&self) -> &str {
        self.channel.as_str()
    }

    /// Maps one record.
    ///
    /// # Errors
    /// The data is not JSON; a placeholder's value is missing, unusable or not a segment.
    pub fn map(&self, record: &KinesisEventRecord) -> Result<ChannelEvent, StreamEventError> {
        let kinesis = &record.kinesis;
        let data: &RawValue = serde_json::from_slice(&kinesis.data.0)
            .map_err(|e| StreamEventError::DataNotJson(e.to_string()))?;
        let channel = self.channel.render(|placeholder| match placeholder.root {
            "partitionKey" => Ok(kinesis.partition_key.clone()),
            _ => lookup(data, placeholder),
        })?;
        let id = record
            .event_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .unwrap_or(&kinesis.sequence_number);
        let event = serde_json::value::to_raw_value(&Event {
            id,
            partition_key: &kinesis.partition_key,
            sequence_number: &kinesis.sequence_number,
            data,
        })
        .map_err(|e| StreamEventError::Json(e.to_string()))?;
        Ok(ChannelEvent {
            channel,
            event,
            id: id.to_owned(),
        })
    }
}

/// The segment text at `placeholder.path` inside `data`, read from the raw text so that a
/// number keeps its digits.
fn lookup(data: &RawValue, placeholder: &Placeholder) -> Result<String, StreamEventError> {
    let missing = || StreamEventError::MissingValue {
        placeholder: placeholder.text.clone(),
    };
    let mut value = data;
    for name in &placeholder.path {
        let object: HashMap<String, &RawValue> =
            serde_json::from_str(value.get()).map_err(|_| missing())?;
        value = object.get(name).copied().ok_or_else(missing)?;
    }
    let text = value.get();
    let unusable = |kind| StreamEventError::UnusableValue {
        placeholder: placeholder.text.clone(),
        kind,
    };
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str(text).map_err(|e| StreamEventError::Json(e.to_string())),
        Some(b't' | b'f' | b'-' | b'0'..=b'9') => Ok(text.to_owned()),
        Some(b'n') => Err(unusable("null")),
        Some(b'[') => Err(unusable("a list")),
        _ => Err(unusable("an object")),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::json;

    use super::*;

    fn record(data: &[u8]) -> KinesisEventRecord {
        serde_json::from_value(json!({
            "awsRegion": "eu-west-1",
            "eventID": "shardId-000000000000:49590338271490256608559692538361571095921575989136588898",
            "eventName": "aws:kinesis:record", "eventSource": "aws:kinesis", "eventVersion": "1.0",
            "kinesis": {
                "approximateArrivalTimestamp": 1764892800.5,
                "data": STANDARD.encode(data),
                "partitionKey": "device-7",
                "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                "kinesisSchemaVersion": "1.0"
            }
        }))
        .expect("a Kinesis record")
    }

    #[test]
    fn json_data_is_sent_as_it_is_with_the_record_identity() {
        let mapping = KinesisMapping::new("/default/devices/{data.device.id}").expect("pattern");
        let mapped = mapping
            .map(&record(
                br#"{"device":{"id":"d-1"},"reading":123456789012345678901234.5}"#,
            ))
            .expect("maps");
        assert_eq!(mapped.channel, "/default/devices/d-1");
        assert_eq!(
            mapped.event.get(),
            r#"{"id":"shardId-000000000000:49590338271490256608559692538361571095921575989136588898","partitionKey":"device-7","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","data":{"device":{"id":"d-1"},"reading":123456789012345678901234.5}}"#
        );
    }

    #[test]
    fn partition_key_numbers_and_booleans_fill_segments() {
        let channel = |pattern: &str, data: &[u8]| {
            KinesisMapping::new(pattern)
                .expect("pattern")
                .map(&record(data))
                .map(|m| m.channel)
        };
        assert_eq!(
            channel("/default/{partitionKey}", b"{}"),
            Ok("/default/device-7".into())
        );
        assert_eq!(
            channel(
                "/default/n{data.n}/{data.ok}",
                br#"{"n": 12345678901234567890123, "ok": true}"#
            ),
            Ok("/default/n12345678901234567890123/true".into())
        );
    }

    #[test]
    fn bad_data_and_bad_values_fail_the_record() {
        let mapping = KinesisMapping::new("/default/devices/{data.id}").expect("pattern");
        let failure = |data: &[u8]| mapping.map(&record(data)).expect_err("fails").to_string();
        assert!(failure(b"not json").contains("not JSON"));
        assert!(failure(b"\xff\xfe").contains("not JSON"));
        assert!(failure(br#"{"other": 1}"#).contains("no value for {data.id}"));
        assert!(failure(br#"[1, 2]"#).contains("no value for {data.id}"));
        assert!(failure(br#"{"id": {"x": 1}}"#).contains("an object"));
        assert!(failure(br#"{"id": null}"#).contains("null"));
        assert!(failure(br#"{"id": "a/b"}"#).contains("not a channel segment"));
        assert!(failure(br#"{"id": 1.5}"#).contains("not a channel segment"));
    }
}
