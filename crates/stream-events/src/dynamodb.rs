//! DynamoDB Streams records to channel events.
//!
//! The event (keys sorted, images present only when the record has them — the table's
//! `StreamViewType` decides; `REMOVE` has no new image):
//!
//! ```json
//! {"id": "<eventID>", "kind": "INSERT|MODIFY|REMOVE", "sequenceNumber": "<SequenceNumber>",
//!  "keys": {…}, "newImage": {…}, "oldImage": {…}}
//! ```
//!
//! Placeholders: `{Keys.<attr>}`, `{NewImage.<attr>}`, `{OldImage.<attr>}`, and
//! `{Image.<attr>}` (the new image, or the old one when there is none, e.g. on `REMOVE`);
//! a dotted path goes into maps (`{NewImage.address.city}`).

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::EventRecord;
use serde::Serialize;
use serde_dynamo::AttributeValue;

use crate::ChannelEvent;
use crate::attribute::{Item, segment_text};
use crate::error::StreamEventError;
use crate::pattern::{ChannelPattern, Placeholder, Root};

const ROOTS: &[Root] = &[
    ("Keys", true),
    ("NewImage", true),
    ("OldImage", true),
    ("Image", true),
];

/// Maps DynamoDB Streams records to channel events with one channel pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoDbMapping {
    channel: ChannelPattern,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    id: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence_number: Option<&'a str>,
    keys: Item<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_image: Option<Item<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_image: Option<Item<'a>>,
}

impl DynamoDbMapping {
    /// A mapping whose channel is `pattern`, e.g. `/default/orders/{Keys.pk}`.
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
    /// A placeholder's value is missing, unusable or not a segment; a number is malformed;
    /// the event name is unknown.
    pub fn map(&self, record: &EventRecord) -> Result<ChannelEvent, StreamEventError> {
        let kind = match record.event_name.as_str() {
            kind @ ("INSERT" | "MODIFY" | "REMOVE") => kind,
            other => return Err(StreamEventError::UnknownEventName(other.to_owned())),
        };
        let change = &record.change;
        // An absent image arrives as an empty map; a real image always holds the keys.
        let new_image = (!change.new_image.is_empty()).then_some(&*change.new_image);
        let old_image = (!change.old_image.is_empty()).then_some(&*change.old_image);
        let channel = self.channel.render(|placeholder| {
            let item = match placeholder.root {
                "Keys" => Some(&*change.keys),
                "NewImage" => new_image,
                "OldImage" => old_image,
                _ => new_image.or(old_image),
            };
            lookup(item, placeholder)
        })?;
        let event = Event {
            id: &record.event_id,
            kind,
            sequence_number: change.sequence_number.as_deref(),
            keys: Item(&change.keys),
            new_image: new_image.map(Item),
            old_image: old_image.map(Item),
        };
        let event = serde_json::value::to_raw_value(&event)
            .map_err(|e| StreamEventError::Json(e.to_string()))?;
        Ok(ChannelEvent {
            channel,
            event,
            id: record.event_id.clone(),
        })
    }
}

/// The segment text at `placeholder.path` inside `item`.
fn lookup(
    item: Option<&HashMap<String, AttributeValue>>,
    placeholder: &Placeholder,
) -> Result<String, StreamEventError> {
    let missing = || StreamEventError::MissingValue {
        placeholder: placeholder.text.clone(),
    };
    let (last, parents) = placeholder.path.split_last().ok_or_else(missing)?;
    let mut map = item.ok_or_else(missing)?;
    for name in parents {
        match map.get(name) {
            Some(AttributeValue::M(inner)) => map = inner,
            _ => return Err(missing()),
        }
    }
    segment_text(map.get(last).ok_or_else(missing)?, &placeholder.text)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn record(name: &str, view: &str, change: Value) -> EventRecord {
        let mut dynamodb = json!({"SequenceNumber": "4000000000000000000001", "SizeBytes": 40, "StreamViewType": view});
        for (k, v) in change.as_object().expect("object") {
            dynamodb[k] = v.clone();
        }
        serde_json::from_value(json!({
            "awsRegion": "eu-west-1", "eventID": "7de3041dd709b024af6f29e4fa13d34c",
            "eventName": name, "eventSource": "aws:dynamodb", "eventVersion": "1.1",
            "eventSourceARN": "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders/stream/2026-12-05T00:00:00.000",
            "dynamodb": dynamodb
        }))
        .expect("a DynamoDB record")
    }

    fn event(mapped: &ChannelEvent) -> String {
        mapped.event.get().to_owned()
    }

    #[test]
    fn insert_with_exact_numbers_sets_and_binary() {
        let mapping = DynamoDbMapping::new("/default/orders/{Keys.pk}").expect("pattern");
        let mapped = mapping
            .map(&record(
                "INSERT",
                "NEW_AND_OLD_IMAGES",
                json!({
                    "Keys": {"pk": {"S": "o-1001"}},
                    "NewImage": {
                        "pk": {"S": "o-1001"},
                        "total": {"N": "98765432109876543210.123456789"},
                        "tags": {"SS": ["rush", "gift"]},
                        "qty": {"NS": ["1", "20000000000000000000001"]},
                        "blob": {"B": "AAEC/w=="}
                    }
                }),
            ))
            .expect("maps");
        assert_eq!(mapped.channel, "/default/orders/o-1001");
        assert_eq!(mapped.id, "7de3041dd709b024af6f29e4fa13d34c");
        assert_eq!(
            event(&mapped),
            r#"{"id":"7de3041dd709b024af6f29e4fa13d34c","kind":"INSERT","sequenceNumber":"4000000000000000000001","keys":{"pk":"o-1001"},"newImage":{"blob":"AAEC/w==","pk":"o-1001","qty":[1,20000000000000000000001],"tags":["rush","gift"],"total":98765432109876543210.123456789}}"#
        );
    }

    #[test]
    fn remove_with_the_old_image_only() {
        let mapping = DynamoDbMapping::new("/default/{Image.customer}/orders").expect("pattern");
        let mapped = mapping
            .map(&record(
                "REMOVE",
                "NEW_AND_OLD_IMAGES",
                json!({
                    "Keys": {"pk": {"S": "o-1"}},
                    "OldImage": {"pk": {"S": "o-1"}, "customer": {"S": "c-9"}}
                }),
            ))
            .expect("maps");
        assert_eq!(mapped.channel, "/default/c-9/orders");
        let event: Value = serde_json::from_str(&event(&mapped)).expect("JSON");
        assert_eq!(event["kind"], "REMOVE");
        assert_eq!(event["oldImage"], json!({"pk": "o-1", "customer": "c-9"}));
        assert!(event.get("newImage").is_none(), "{event}");
        // The new image only exists on INSERT and MODIFY.
        let err = DynamoDbMapping::new("/default/{NewImage.customer}")
            .expect("pattern")
            .map(&record(
                "REMOVE",
                "NEW_AND_OLD_IMAGES",
                json!({"Keys": {"pk": {"S": "o-1"}}, "OldImage": {"customer": {"S": "c-9"}}}),
            ))
            .expect_err("no new image");
        assert_eq!(
            err,
            StreamEventError::MissingValue {
                placeholder: "NewImage.customer".into()
            }
        );
    }

    #[test]
    fn keys_only_records_carry_the_keys() {
        let mapped = DynamoDbMapping::new("/default/orders/{Keys.pk}/{Keys.sk}")
            .expect("pattern")
            .map(&record(
                "MODIFY",
                "KEYS_ONLY",
                json!({"Keys": {"pk": {"S": "o-1"}, "sk": {"N": "42"}}}),
            ))
            .expect("maps");
        assert_eq!(mapped.channel, "/default/orders/o-1/42");
        assert_eq!(
            event(&mapped),
            r#"{"id":"7de3041dd709b024af6f29e4fa13d34c","kind":"MODIFY","sequenceNumber":"4000000000000000000001","keys":{"pk":"o-1","sk":42}}"#
        );
    }

    #[test]
    fn a_value_that_is_not_a_segment_is_this_records_failure() {
        let mapping = DynamoDbMapping::new("/default/orders/{NewImage.owner.id}").expect("pattern");
        let owner = |id: Value| {
            mapping.map(&record(
                "INSERT",
                "NEW_IMAGE",
                json!({"Keys": {"pk": {"S": "o-1"}}, "NewImage": {"owner": {"M": {"id": id}}}}),
            ))
        };
        assert_eq!(
            owner(json!({"S": "u-1"})).map(|m| m.channel),
            Ok("/default/orders/u-1".into())
        );
        for (value, expected) in [
            (json!({"S": "../admin"}), "not a channel segment"),
            (json!({"S": "a/b"}), "not a channel segment"),
            (json!({"S": "*"}), "not a channel segment"),
            (json!({"N": "1.5"}), "not a channel segment"),
            (json!({"SS": ["a"]}), "a set"),
            (json!({"B": "AA=="}), "binary"),
        ] {
            let err = owner(value.clone()).expect_err("invalid");
            assert!(err.to_string().contains(expected), "{value}: {err}");
        }
        let err = mapping
            .map(&record(
                "INSERT",
                "NEW_IMAGE",
                json!({"Keys": {"pk": {"S": "o-1"}}, "NewImage": {"owner": {"S": "u-1"}}}),
            ))
            .expect_err("owner is not a map");
        assert!(
            matches!(err, StreamEventError::MissingValue { .. }),
            "{err}"
        );
    }

    #[test]
    fn unknown_event_names_and_bad_numbers_fail_the_record() {
        let mapping = DynamoDbMapping::new("/default/orders").expect("pattern");
        assert_eq!(
            mapping
                .map(&record(
                    "TRUNCATE",
                    "KEYS_ONLY",
                    json!({"Keys": {"pk": {"S": "o"}}})
                ))
                .expect_err("unknown"),
            StreamEventError::UnknownEventName("TRUNCATE".into())
        );
        let err = mapping
            .map(&record(
                "INSERT",
                "NEW_IMAGE",
                json!({"Keys": {"pk": {"S": "o"}}, "NewImage": {"n": {"N": "12abc"}}}),
            ))
            .expect_err("bad number");
        assert!(err.to_string().contains("12abc"), "{err}");
    }
}
