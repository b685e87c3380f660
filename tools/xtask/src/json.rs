//! JSON whose object keys keep the order they were written in.
//!
//! `serde_json::Value` sorts object keys (the workspace does not enable `preserve_order`,
//! which would change every crate built with it). Generated files and development tokens
//! keep the order a reader expects (`iss`, `sub`, `aud`, … ; `authorizationToken` before
//! `requestContext`), so their bytes stay stable and readable.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// An ordered JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// An object, keys in insertion order.
    Object(Vec<(String, Json)>),
    /// An array.
    Array(Vec<Json>),
    /// Anything else (or an object whose key order does not matter).
    Plain(Value),
}

/// An object from `(key, value)` pairs, in that order.
pub fn object<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    Json::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

impl Json {
    /// Sets `key`: replaces its value in place, or appends it (like a Python `dict`).
    /// Does nothing on a non-object.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(pairs) = self {
            match pairs.iter_mut().find(|(k, _)| k == key) {
                Some((_, slot)) => *slot = value,
                None => pairs.push((key.to_owned(), value)),
            }
        }
    }

    /// The value at `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Compact text, as in a token's payload.
    pub fn compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Two-space indented text with a final newline, as the generated files are written.
    pub fn pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl<T: Into<Value>> From<T> for Json {
    fn from(value: T) -> Self {
        Json::Plain(value.into())
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Object(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (key, value) in pairs {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Plain(value) => value.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_set_replaces_in_place() {
        let mut value = object([("b", 1.into()), ("a", Json::Array(vec!["x".into()]))]);
        value.set("b", true.into());
        value.set("c", Value::Null.into());
        assert_eq!(value.compact(), r#"{"b":true,"a":["x"],"c":null}"#);
        assert_eq!(object([("z", object([]))]).pretty(), "{\n  \"z\": {}\n}\n");
    }
}
