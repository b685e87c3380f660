//! Channel patterns: `/default/orders/{Keys.pk}`.
//!
//! A pattern is a channel path whose segments after the namespace may hold placeholders,
//! `{root.path.to.value}`, alone or next to literal text (`order-{Keys.id}`). The
//! namespace is always literal, so no record can choose it. Which roots exist depends on
//! the source (DynamoDB: `Keys`, `NewImage`, `OldImage`, `Image`; Kinesis: `partitionKey`,
//! `data`). The number of segments is fixed by the pattern: a value can never add one,
//! because every value must itself be a valid segment (no `/`, no `*`).

use appsync_types::channel::{MAX_SEGMENTS, is_valid_namespace, is_valid_segment};

use crate::error::{StreamEventError, excerpt};

/// A placeholder root: its name, and whether a `.path` must follow it.
pub(crate) type Root = (&'static str, bool);

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChannelPattern {
    text: String,
    /// Segments after the namespace, each a sequence of parts.
    segments: Vec<Vec<Part>>,
    namespace: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Value(Placeholder),
}

/// `{root.a.b}`: `root` and the path `["a", "b"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    /// The text between the braces, for messages.
    pub(crate) text: String,
    pub(crate) root: &'static str,
    pub(crate) path: Vec<String>,
}

impl ChannelPattern {
    /// Parses `text`, accepting placeholders over `roots` only.
    pub(crate) fn parse(text: &str, roots: &[Root]) -> Result<Self, StreamEventError> {
        let invalid = |reason: String| StreamEventError::InvalidPattern {
            pattern: text.to_owned(),
            reason,
        };
        let rest = text.strip_prefix('/').ok_or_else(|| {
            invalid("must start with '/' (e.g. /default/orders/{Keys.pk})".into())
        })?;
        let raw: Vec<&str> = rest.split('/').collect();
        if raw.len() > MAX_SEGMENTS {
            return Err(invalid(format!("more than {MAX_SEGMENTS} segments")));
        }
        let namespace = raw[0];
        if !is_valid_namespace(namespace) {
            return Err(invalid(format!(
                "the namespace {namespace:?} must be literal: 1-50 of A-Z a-z 0-9 '-', not starting or ending with '-'"
            )));
        }
        let segments = raw[1..]
            .iter()
            .map(|segment| parse_segment(segment, roots).map_err(&invalid))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            text: text.to_owned(),
            segments,
            namespace: namespace.to_owned(),
        })
    }

    /// The pattern as given.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The concrete channel for one record: each placeholder replaced by `lookup`'s text,
    /// which must be a valid segment, as must each whole segment.
    pub(crate) fn render(
        &self,
        lookup: impl Fn(&Placeholder) -> Result<String, StreamEventError>,
    ) -> Result<String, StreamEventError> {
        let mut channel = format!("/{}", self.namespace);
        for parts in &self.segments {
            let mut segment = String::new();
            let mut first_placeholder = None;
            for part in parts {
                match part {
                    Part::Literal(text) => segment.push_str(text),
                    Part::Value(placeholder) => {
                        let value = lookup(placeholder)?;
                        if !is_valid_segment(&value) {
                            return Err(StreamEventError::InvalidSegment {
                                placeholder: placeholder.text.clone(),
                                value: excerpt(&value),
                            });
                        }
                        first_placeholder.get_or_insert(placeholder);
                        segment.push_str(&value);
                    }
                }
            }
            // Literal text plus a value can still be too long for one segment.
            if let Some(placeholder) = first_placeholder
                && !is_valid_segment(&segment)
            {
                return Err(StreamEventError::InvalidSegment {
                    placeholder: placeholder.text.clone(),
                    value: excerpt(&segment),
                });
            }
            channel.push('/');
            channel.push_str(&segment);
        }
        Ok(channel)
    }
}

fn parse_segment(segment: &str, roots: &[Root]) -> Result<Vec<Part>, String> {
    if segment.is_empty() {
        return Err("has an empty segment".into());
    }
    let mut parts = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        let literal_end = rest.find(['{', '}']).unwrap_or(rest.len());
        let (literal, after) = rest.split_at(literal_end);
        if !literal.is_empty() {
            if !literal
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(format!(
                    "literal text {literal:?} may only hold A-Z a-z 0-9 '-' (no '*': a pattern names one channel per record)"
                ));
            }
            parts.push(Part::Literal(literal.to_owned()));
        }
        if after.is_empty() {
            break;
        }
        let inner = after.strip_prefix('{').ok_or("has a '}' without its '{'")?;
        let close = inner.find('}').ok_or("has a '{' without its '}'")?;
        parts.push(Part::Value(placeholder(&inner[..close], roots)?));
        rest = &inner[close + 1..];
    }
    let literal_only: String = parts
        .iter()
        .map(|p| match p {
            Part::Literal(text) => text.as_str(),
            Part::Value(_) => "",
        })
        .collect();
    if literal_only.len() > appsync_types::channel::MAX_SEGMENT_LEN {
        return Err(format!("segment {segment:?} is longer than 50 characters"));
    }
    Ok(parts)
}

fn placeholder(text: &str, roots: &[Root]) -> Result<Placeholder, String> {
    let mut names = text.split('.');
    let root_name = names.next().unwrap_or_default();
    let known = || {
        roots
            .iter()
            .map(|(name, path)| format!("{{{name}{}}}", if *path { ".<name>" } else { "" }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let &(root, takes_path) = roots
        .iter()
        .find(|(name, _)| *name == root_name)
        .ok_or_else(|| format!("unknown placeholder {{{text}}}; use {}", known()))?;
    let path: Vec<String> = names.map(str::to_owned).collect();
    if path.iter().any(String::is_empty) || takes_path == path.is_empty() {
        return Err(format!("malformed placeholder {{{text}}}; use {}", known()));
    }
    Ok(Placeholder {
        text: text.to_owned(),
        root,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOTS: &[Root] = &[("Keys", true), ("partitionKey", false)];

    fn render(pattern: &str, value: &str) -> Result<String, StreamEventError> {
        ChannelPattern::parse(pattern, ROOTS)
            .expect("valid pattern")
            .render(|_| Ok(value.to_owned()))
    }

    #[test]
    fn placeholders_are_replaced_whole_or_inside_a_segment() {
        assert_eq!(
            render("/default/orders/{Keys.pk}", "o-1").as_deref(),
            Ok("/default/orders/o-1")
        );
        assert_eq!(
            render("/default/order-{Keys.a.b}/x", "7").as_deref(),
            Ok("/default/order-7/x")
        );
        assert_eq!(
            render("/default/{partitionKey}", "dev-1").as_deref(),
            Ok("/default/dev-1")
        );
        assert_eq!(
            render("/default/plain", "").as_deref(),
            Ok("/default/plain")
        );
    }

    #[test]
    fn a_value_that_is_not_a_segment_fails_the_record_never_another_channel() {
        for value in ["a/b", "*", "", "a b", "ünï", "../x", &"x".repeat(51)] {
            let err = render("/default/orders/{Keys.pk}", value).expect_err(value);
            assert!(
                matches!(&err, StreamEventError::InvalidSegment { placeholder, .. } if placeholder == "Keys.pk"),
                "{value}: {err}"
            );
        }
        // Valid alone, too long with the literal text around it.
        let err = render("/default/order-{Keys.pk}", &"x".repeat(50)).expect_err("long");
        assert!(
            matches!(err, StreamEventError::InvalidSegment { .. }),
            "{err}"
        );
    }

    #[test]
    fn malformed_patterns_are_configuration_errors() {
        for pattern in [
            "default/orders",
            "/{Keys.ns}/orders",
            "/default//x",
            "/default/orders/",
            "/default/*",
            "/default/{Keys}",
            "/default/{Keys.}",
            "/default/{partitionKey.x}",
            "/default/{NewImage.pk}",
            "/default/{Keys.pk",
            "/default/Keys.pk}",
            "/default/a b",
            "/a/b/c/d/e/{Keys.pk}",
        ] {
            assert!(
                matches!(
                    ChannelPattern::parse(pattern, ROOTS),
                    Err(StreamEventError::InvalidPattern { .. })
                ),
                "{pattern}"
            );
        }
    }
}
