//! Validating inputs and splitting them into requests.
//!
//! An input is one channel and any number of events. Before anything of it is sent, the
//! channel must be a concrete publish path ([`ChannelPath::parse_publish`]) and every
//! event, serialized to a JSON string, must fit [`MAX_EVENT_BYTES`]; otherwise the whole
//! input is refused, so a subscriber never sees half of an input that could not succeed.
//! Valid inputs are cut into requests of at most [`MAX_EVENTS_PER_REQUEST`] events, in
//! order.

use appsync_types::ChannelPath;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::PublishError;

/// Most events AppSync accepts in one publish request.
pub const MAX_EVENTS_PER_REQUEST: usize = 5;

/// Largest serialized event AppSync accepts: 240 KB (240 × 1024 bytes).
pub const MAX_EVENT_BYTES: usize = 240 * 1024;

/// Events to publish to one channel: `{"channel": "/ns/…", "events": [<any JSON>…]}`.
///
/// Each event is any JSON value; it is sent as its JSON serialization (AppSync requires
/// every event to be "a stringified valid JSON value"). Unknown fields are ignored.
///
/// `E` is any [`Serialize`] type, a [`Value`] by default; a
/// [`serde_json::value::RawValue`] sends text that is already JSON as it is (numbers with
/// more digits than a `Value` holds, for example).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishInput<E = Value> {
    /// The channel path, e.g. `/default/orders`.
    pub channel: String,
    /// The events, in publish order.
    pub events: Vec<E>,
}

impl<E> PublishInput<E> {
    /// An input for `channel` with `events`.
    pub fn new(channel: impl Into<String>, events: Vec<E>) -> Self {
        Self {
            channel: channel.into(),
            events,
        }
    }
}

/// A validated input: a publish channel and its events, each already serialized.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedInput {
    /// The validated channel.
    pub channel: ChannelPath,
    /// The serialized events, each ≤ [`MAX_EVENT_BYTES`].
    pub events: Vec<String>,
}

/// Validates `input` and serializes its events.
///
/// # Errors
/// [`PublishError::InvalidChannel`], [`PublishError::EventTooLarge`] (naming the index of
/// the first oversize event) or [`PublishError::InvalidEvent`].
pub fn prepare<E: Serialize>(input: &PublishInput<E>) -> Result<PreparedInput, PublishError> {
    let channel = ChannelPath::parse_publish(&input.channel).map_err(|source| {
        PublishError::InvalidChannel {
            channel: input.channel.clone(),
            source,
        }
    })?;
    let events = input
        .events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let serialized =
                serde_json::to_string(event).map_err(|e| PublishError::InvalidEvent {
                    channel: input.channel.clone(),
                    index,
                    reason: e.to_string(),
                })?;
            if serialized.len() > MAX_EVENT_BYTES {
                return Err(PublishError::EventTooLarge {
                    channel: input.channel.clone(),
                    index,
                    size: serialized.len(),
                    limit: MAX_EVENT_BYTES,
                });
            }
            Ok(serialized)
        })
        .collect::<Result<_, _>>()?;
    Ok(PreparedInput { channel, events })
}

/// The events of one request: a slice of a prepared input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchRange {
    /// Index of the first event of the batch within its input.
    pub start: usize,
    /// One past the last event.
    pub end: usize,
}

impl BatchRange {
    /// Number of events in the batch.
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Splits `event_count` events into consecutive batches of at most
/// [`MAX_EVENTS_PER_REQUEST`]: ⌈n/5⌉ batches, all full except possibly the last.
pub(crate) fn batch_ranges(event_count: usize) -> impl Iterator<Item = BatchRange> {
    (0..event_count)
        .step_by(MAX_EVENTS_PER_REQUEST)
        .map(move |start| BatchRange {
            start,
            end: (start + MAX_EVENTS_PER_REQUEST).min(event_count),
        })
}

/// The body of one publish request. Serialized once per attempt; those exact bytes are
/// signed and sent.
#[derive(Debug, Serialize)]
pub(crate) struct RequestBody<'a> {
    pub channel: &'a str,
    pub events: Vec<&'a str>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn batches_are_ceil_n_over_five_and_in_order() {
        for n in [0usize, 1, 4, 5, 6, 10, 11, 23] {
            let ranges: Vec<_> = batch_ranges(n).collect();
            assert_eq!(ranges.len(), n.div_ceil(5), "n={n}");
            let mut next = 0;
            for r in &ranges {
                assert_eq!(r.start, next);
                assert!(r.len() > 0 && r.len() <= MAX_EVENTS_PER_REQUEST);
                next = r.end;
            }
            assert_eq!(next, n);
        }
        assert_eq!(
            batch_ranges(7).collect::<Vec<_>>(),
            [
                BatchRange { start: 0, end: 5 },
                BatchRange { start: 5, end: 7 }
            ]
        );
    }

    #[test]
    fn events_are_serialized_as_json_strings() {
        let input = PublishInput::new(
            "/default/orders",
            vec![json!({"a": 1}), json!("text"), json!(3)],
        );
        let prepared = prepare(&input).expect("valid");
        assert_eq!(prepared.channel.as_str(), "/default/orders");
        assert_eq!(prepared.events, [r#"{"a":1}"#, r#""text""#, "3"]);
        let body = serde_json::to_string(&RequestBody {
            channel: prepared.channel.as_str(),
            events: prepared.events.iter().map(String::as_str).collect(),
        })
        .expect("serializes");
        assert_eq!(
            body,
            r#"{"channel":"/default/orders","events":["{\"a\":1}","\"text\"","3"]}"#
        );
    }

    #[test]
    fn raw_json_events_are_sent_as_they_are() {
        // More digits than an f64 or a u64 holds: only text keeps them.
        let raw = serde_json::value::RawValue::from_string(
            r#"{"n":123456789012345678901234567890.000000000001}"#.to_owned(),
        )
        .expect("raw JSON");
        let prepared = prepare(&PublishInput::new("/default/orders", vec![raw])).expect("valid");
        assert_eq!(
            prepared.events,
            [r#"{"n":123456789012345678901234567890.000000000001}"#]
        );
    }

    #[test]
    fn invalid_or_wildcard_channel_refuses_the_input() {
        for channel in [
            "default/orders",
            "/default/*",
            "/default/a b",
            "",
            "/a/b/c/d/e/f",
        ] {
            let err = prepare(&PublishInput::new(channel, vec![json!(1)])).expect_err(channel);
            assert!(
                matches!(&err, PublishError::InvalidChannel { channel: c, .. } if c == channel),
                "{channel}: {err}"
            );
        }
    }

    #[test]
    fn event_at_the_size_limit_is_accepted_and_one_byte_more_refused() {
        // A JSON string serializes with its two quotes.
        let at_limit = json!("x".repeat(MAX_EVENT_BYTES - 2));
        let over = json!("x".repeat(MAX_EVENT_BYTES - 1));
        assert!(prepare(&PublishInput::new("/ns/a", vec![at_limit.clone()])).is_ok());
        let err = prepare(&PublishInput::new("/ns/a", vec![at_limit, json!(1), over]))
            .expect_err("oversize");
        match err {
            PublishError::EventTooLarge {
                channel,
                index,
                size,
                limit,
            } => {
                assert_eq!(
                    (channel.as_str(), index, size, limit),
                    ("/ns/a", 2, 245_761, 245_760)
                );
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn input_deserializes_from_the_documented_shape() {
        let input: PublishInput = serde_json::from_value(
            json!({"channel": "/default/x", "events": [{"k": "v"}], "extra": 1}),
        )
        .expect("parses");
        assert_eq!(
            input,
            PublishInput::new("/default/x", vec![json!({"k": "v"})])
        );
    }
}
