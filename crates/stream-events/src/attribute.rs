//! DynamoDB's typed JSON written as plain JSON.
//!
//! | DynamoDB | JSON |
//! |---|---|
//! | `S`, `BOOL`, `NULL` | string, boolean, `null` |
//! | `N` | a number with exactly the digits DynamoDB sent (never through `f64`) |
//! | `B` | a base64 string (standard alphabet, padded) |
//! | `SS`, `NS`, `BS` | arrays of strings, numbers, base64 strings, in the record's order |
//! | `M`, `L` | objects (keys sorted), arrays |
//!
//! Numbers are written as raw JSON text ([`RawValue`]): DynamoDB numbers have up to 38
//! significant digits, more than any binary number type keeps.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_dynamo::AttributeValue;
use serde_json::value::RawValue;

use crate::error::{StreamEventError, excerpt};

/// Serializes a DynamoDB item (`Keys`, `NewImage`, `OldImage`) as a plain JSON object.
pub(crate) struct Item<'a>(pub(crate) &'a HashMap<String, AttributeValue>);

/// Serializes one attribute value as plain JSON.
struct Attribute<'a>(&'a AttributeValue);

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Sorted, so the same item is always the same text.
        let sorted: BTreeMap<&String, &AttributeValue> = self.0.iter().collect();
        let mut map = serializer.serialize_map(Some(sorted.len()))?;
        for (name, value) in sorted {
            map.serialize_entry(name, &Attribute(value))?;
        }
        map.end()
    }
}

impl Serialize for Attribute<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AttributeValue::S(s) => serializer.serialize_str(s),
            AttributeValue::N(n) => number(n).map_err(S::Error::custom)?.serialize(serializer),
            AttributeValue::Bool(b) => serializer.serialize_bool(*b),
            AttributeValue::Null(_) => serializer.serialize_unit(),
            AttributeValue::B(bytes) => serializer.serialize_str(&STANDARD.encode(bytes)),
            AttributeValue::M(map) => Item(map).serialize(serializer),
            AttributeValue::L(items) => serializer.collect_seq(items.iter().map(Attribute)),
            AttributeValue::Ss(items) => serializer.collect_seq(items),
            AttributeValue::Ns(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for n in items {
                    seq.serialize_element(&number(n).map_err(S::Error::custom)?)?;
                }
                seq.end()
            }
            AttributeValue::Bs(items) => {
                serializer.collect_seq(items.iter().map(|bytes| STANDARD.encode(bytes)))
            }
        }
    }
}

/// A DynamoDB number as a JSON number literal with the same value and every digit kept:
/// an optional sign, digits with an optional `.` and an optional exponent. The `+` sign,
/// leading zeros and a bare `.` (which JSON forbids) are rewritten; nothing else changes.
pub(crate) fn number(text: &str) -> Result<Box<RawValue>, StreamEventError> {
    json_number(text)
        .and_then(|n| RawValue::from_string(n).ok())
        .ok_or_else(|| StreamEventError::InvalidNumber {
            value: excerpt(text),
        })
}

fn json_number(text: &str) -> Option<String> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() && fraction.is_empty() || !digits(integer) || !digits(fraction) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 1);
    if negative {
        out.push('-');
    }
    let integer = integer.trim_start_matches('0');
    out.push_str(if integer.is_empty() { "0" } else { integer });
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    if let Some(exponent) = exponent {
        let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if unsigned.is_empty() || !digits(unsigned) {
            return None;
        }
        out.push('e');
        out.push_str(exponent);
    }
    Some(out)
}

/// The text a channel segment gets from an attribute: strings as they are, numbers as
/// their JSON text, booleans as `true`/`false`; anything else is not usable.
pub(crate) fn segment_text(
    value: &AttributeValue,
    placeholder: &str,
) -> Result<String, StreamEventError> {
    let unusable = |kind| StreamEventError::UnusableValue {
        placeholder: placeholder.to_owned(),
        kind,
    };
    match value {
        AttributeValue::S(s) => Ok(s.clone()),
        AttributeValue::N(n) => Ok(number(n)?.get().to_owned()),
        AttributeValue::Bool(b) => Ok(b.to_string()),
        AttributeValue::Null(_) => Err(unusable("null")),
        AttributeValue::B(_) => Err(unusable("binary")),
        AttributeValue::M(_) => Err(unusable("a map")),
        AttributeValue::L(_) => Err(unusable("a list")),
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => {
            Err(unusable("a set"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> String {
        let item: serde_dynamo::Item = serde_json::from_str(json).expect("typed JSON");
        serde_json::to_string(&Item(&item)).expect("serializes")
    }

    #[test]
    fn numbers_keep_every_digit() {
        assert_eq!(
            item(
                r#"{"big": {"N": "12345678901234567890123456789012345678"},
                    "small": {"N": "-0.000000000000000000000000000000000001"},
                    "sci": {"N": "1.5E+125"},
                    "int": {"N": "9007199254740993"}}"#
            ),
            r#"{"big":12345678901234567890123456789012345678,"int":9007199254740993,"sci":1.5E+125,"small":-0.000000000000000000000000000000000001}"#
                .replace("E+", "e+")
        );
    }

    #[test]
    fn numbers_are_rewritten_only_where_json_differs() {
        for (dynamodb, json) in [
            ("0", "0"),
            ("+7", "7"),
            ("007.50", "7.50"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0", "-0"),
            ("1e-130", "1e-130"),
        ] {
            assert_eq!(
                number(dynamodb).map(|n| n.get().to_owned()),
                Ok(json.to_owned())
            );
        }
        for bad in [
            "", "-", ".", "1e", "1e+", "0x10", "1,5", "NaN", "Infinity", "1 ", "--1",
        ] {
            assert!(
                matches!(number(bad), Err(StreamEventError::InvalidNumber { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn sets_binary_maps_lists_and_null() {
        assert_eq!(
            item(
                r#"{"ss": {"SS": ["b", "a"]}, "ns": {"NS": ["1", "2.50"]},
                    "bs": {"BS": ["AAE=", "/w=="]}, "b": {"B": "aGk="},
                    "m": {"M": {"z": {"NULL": true}, "a": {"BOOL": false}}},
                    "l": {"L": [{"S": "x"}, {"N": "3"}]}}"#
            ),
            r#"{"b":"aGk=","bs":["AAE=","/w=="],"l":["x",3],"m":{"a":false,"z":null},"ns":[1,2.50],"ss":["b","a"]}"#
        );
    }

    #[test]
    fn only_scalars_become_segment_text() {
        let text = |v: AttributeValue| segment_text(&v, "Keys.pk");
        assert_eq!(text(AttributeValue::S("o-1".into())), Ok("o-1".into()));
        assert_eq!(text(AttributeValue::N("+42".into())), Ok("42".into()));
        assert_eq!(text(AttributeValue::Bool(true)), Ok("true".into()));
        for value in [
            AttributeValue::Null(true),
            AttributeValue::B(vec![1]),
            AttributeValue::Ss(vec!["a".into()]),
            AttributeValue::L(vec![]),
        ] {
            assert!(matches!(
                text(value),
                Err(StreamEventError::UnusableValue { .. })
            ));
        }
    }
}
