//! Claim paths (`sub`, `app_metadata.org_id`) and how a claim value is compared with a
//! channel segment.
//!
//! The comparison is the injection boundary: a claim is only ever compared with one
//! already-split segment, and only if the claim's text is itself a valid literal segment.
//! So a claim like `a/b`, `*` or `../x` can never stand for more (or other) segments than
//! exactly one equal segment.

use std::io::Write as _;

use appsync_types::channel::is_valid_segment;
use serde_json::{Map, Number, Value};

/// A dotted path into the claims object: `sub`, `app_metadata.org_id`.
///
/// Each part is a non-empty run of `A-Z a-z 0-9 _ : -` and names a key of a JSON object;
/// keys that themselves contain `.` cannot be addressed, and arrays are not indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimPath {
    text: Box<str>,
    parts: Box<[Box<str>]>,
}

impl ClaimPath {
    /// Parses a path; `None` if it is empty or a part is empty or has a bad character.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let parts = text
            .split('.')
            .map(|part| is_valid_part(part).then(|| Box::from(part)))
            .collect::<Option<Box<[_]>>>()?;
        Some(Self {
            text: text.into(),
            parts,
        })
    }

    /// The path as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the first part is `user_metadata`, which Supabase lets users edit themselves.
    pub(crate) fn is_user_editable_in_supabase(&self) -> bool {
        self.parts.first().is_some_and(|p| &**p == "user_metadata")
    }

    /// The value at this path, or `None` when a key is missing or an intermediate value is
    /// not an object. A present `null` is returned as `Some(Null)`.
    pub(crate) fn lookup<'a>(&self, claims: &'a Map<String, Value>) -> Option<&'a Value> {
        let (first, rest) = self.parts.split_first()?;
        let mut value = claims.get(&**first)?;
        for part in rest {
            value = value.as_object()?.get(&**part)?;
        }
        Some(value)
    }
}

fn is_valid_part(part: &str) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-'))
}

/// Whether a claim value, used as a channel segment, is exactly `segment`.
///
/// Strings match when they are a valid literal segment and equal byte for byte. Integers
/// match their decimal text (`42` matches `42`, not `042`), so numeric ids work without
/// quoting. Everything else (floats, booleans, objects, arrays, `null`, a missing claim)
/// never matches.
pub(crate) fn value_is_segment(value: Option<&Value>, segment: &str) -> bool {
    match value {
        Some(Value::String(text)) => is_valid_segment(text) && text == segment,
        Some(Value::Number(number)) => integer_text_is(number, segment),
        _ => false,
    }
}

/// Compares an integer's decimal text with `segment` without allocating.
fn integer_text_is(number: &Number, segment: &str) -> bool {
    // i64::MIN and u64::MAX are 20 characters.
    let mut buf = [0u8; 24];
    let mut out: &mut [u8] = &mut buf;
    let written = if let Some(i) = number.as_i64() {
        write!(out, "{i}")
    } else if let Some(u) = number.as_u64() {
        write!(out, "{u}")
    } else {
        return false;
    };
    let remaining = out.len();
    written.is_ok() && buf.get(..buf.len() - remaining) == Some(segment.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        value
            .as_object()
            .cloned()
            .expect("test claims are an object")
    }

    fn path(text: &str) -> ClaimPath {
        ClaimPath::parse(text).expect("valid test path")
    }

    #[test]
    fn a_claim_path_walks_nested_objects() {
        let c = claims(json!({"sub": "u1", "app_metadata": {"org": {"id": "o1"}}}));
        assert_eq!(path("sub").lookup(&c), Some(&json!("u1")));
        assert_eq!(path("app_metadata.org.id").lookup(&c), Some(&json!("o1")));
        assert_eq!(path("app_metadata.missing").lookup(&c), None);
        assert_eq!(path("sub.deeper").lookup(&c), None);
    }

    #[test]
    fn a_present_null_is_found_as_null() {
        let c = claims(json!({"a": null}));
        assert_eq!(path("a").lookup(&c), Some(&Value::Null));
    }

    #[test]
    fn claim_paths_with_empty_parts_or_bad_characters_are_refused() {
        for bad in ["", ".", "a.", ".a", "a..b", "a b", "a/b", "{a}", "ä", "a*"] {
            assert!(ClaimPath::parse(bad).is_none(), "{bad:?} was accepted");
        }
        for good in ["sub", "app_metadata.org_id", "cognito:groups", "x-y.Z_9"] {
            assert_eq!(path(good).as_str(), good);
        }
    }

    #[test]
    fn only_a_valid_segment_string_or_an_integer_stands_for_a_segment() {
        assert!(value_is_segment(Some(&json!("abc-1")), "abc-1"));
        assert!(value_is_segment(Some(&json!(42)), "42"));
        assert!(value_is_segment(Some(&json!(-7)), "-7"));
        assert!(value_is_segment(
            Some(&json!(u64::MAX)),
            &u64::MAX.to_string()
        ));
        assert!(value_is_segment(
            Some(&json!(i64::MIN)),
            &i64::MIN.to_string()
        ));
        for (value, segment) in [
            (json!("abc"), "abd"),
            (json!("a/b"), "a"),
            (json!("*"), "*"),
            (json!(""), ""),
            (json!("ä"), "ä"),
            (json!(42), "042"),
            (json!(1.5), "1"),
            (json!(true), "true"),
            (json!(null), "null"),
            (json!(["a"]), "a"),
            (json!({"a": 1}), "a"),
        ] {
            assert!(
                !value_is_segment(Some(&value), segment),
                "{value} matched {segment:?}"
            );
        }
        assert!(!value_is_segment(None, "a"));
    }
}
