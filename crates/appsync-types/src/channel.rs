//! AppSync Events channel paths.
//!
//! A channel is `/<namespace>[/<segment>]…`, at most [`MAX_SEGMENTS`] segments including
//! the namespace. The namespace follows AppSync's documented name pattern (1–50
//! alphanumerics and `-`, not starting or ending with `-`). AppSync does not document the
//! alphabet of the other segments; we apply the same alphabet (alphanumerics and `-`, 1–50
//! characters) so that anything we accept is accepted by the service, and so that a value
//! substituted into a channel pattern can never smuggle in `/` or `*`.
//!
//! A subscription may end in the wildcard segment `*`, meaning "one or more further
//! segments": `/ns/*` matches `/ns/a` and `/ns/a/b`, not `/ns`. Publishing to a wildcard is
//! refused by [`ChannelPath::parse_publish`].

use std::borrow::Cow;
use std::fmt;

/// The most segments a channel path may have, including the namespace.
pub const MAX_SEGMENTS: usize = 5;
/// The longest a single segment may be.
pub const MAX_SEGMENT_LEN: usize = 50;
/// The wildcard segment.
pub const WILDCARD: &str = "*";

/// Why a string is not a valid channel path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The path is empty.
    #[error("channel is empty")]
    Empty,
    /// The path does not start with `/`.
    #[error("channel {0:?} must start with '/'")]
    MissingLeadingSlash(String),
    /// More than [`MAX_SEGMENTS`] segments.
    #[error("channel {0:?} has more than {MAX_SEGMENTS} segments")]
    TooManySegments(String),
    /// A segment is empty (`//` or a trailing `/`).
    #[error("channel {0:?} has an empty segment")]
    EmptySegment(String),
    /// A segment is longer than [`MAX_SEGMENT_LEN`].
    #[error("channel {0:?} has a segment longer than {MAX_SEGMENT_LEN} characters")]
    SegmentTooLong(String),
    /// A segment has a character outside `A-Z a-z 0-9 -`, or starts/ends the namespace with `-`.
    #[error("channel {0:?} has a segment with characters outside A-Z, a-z, 0-9 and '-'")]
    InvalidCharacter(String),
    /// `*` somewhere other than as the whole last segment after the namespace.
    #[error("channel {0:?}: '*' is only allowed as the whole last segment, after the namespace")]
    MisplacedWildcard(String),
    /// A wildcard where a concrete channel is required (publishing).
    #[error("channel {0:?} is a wildcard; events can only be published to a concrete channel")]
    WildcardNotAllowed(String),
}

/// A validated channel path, always stored with its leading `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelPath {
    path: String,
    wildcard: bool,
}

impl ChannelPath {
    /// Parses a channel path that must start with `/`; a trailing `*` segment is allowed.
    pub fn parse(path: &str) -> Result<Self, ChannelError> {
        if path.is_empty() {
            return Err(ChannelError::Empty);
        }
        let Some(rest) = path.strip_prefix('/') else {
            return Err(ChannelError::MissingLeadingSlash(path.to_owned()));
        };
        let err = |make: fn(String) -> ChannelError| Err(make(path.to_owned()));
        let mut wildcard = false;
        let mut count = 0;
        for (index, segment) in rest.split('/').enumerate() {
            count += 1;
            if count > MAX_SEGMENTS {
                return err(ChannelError::TooManySegments);
            }
            if wildcard {
                // Something follows a `*` segment.
                return err(ChannelError::MisplacedWildcard);
            }
            if segment.is_empty() {
                return err(ChannelError::EmptySegment);
            }
            if segment == WILDCARD {
                if index == 0 {
                    return err(ChannelError::MisplacedWildcard);
                }
                wildcard = true;
                continue;
            }
            if segment.contains('*') {
                return err(ChannelError::MisplacedWildcard);
            }
            if segment.len() > MAX_SEGMENT_LEN {
                return err(ChannelError::SegmentTooLong);
            }
            let valid = if index == 0 {
                is_valid_namespace(segment)
            } else {
                is_valid_segment(segment)
            };
            if !valid {
                return err(ChannelError::InvalidCharacter);
            }
        }
        Ok(Self {
            path: path.to_owned(),
            wildcard,
        })
    }

    /// Parses a channel an event will be published to: like [`parse`](Self::parse), but a
    /// wildcard is an error.
    pub fn parse_publish(path: &str) -> Result<Self, ChannelError> {
        let channel = Self::parse(path)?;
        if channel.wildcard {
            return Err(ChannelError::WildcardNotAllowed(path.to_owned()));
        }
        Ok(channel)
    }

    /// Parses a path whose leading `/` may be missing, as WebSocket clients send it
    /// (Amplify sends `default/x` on subscribe and `/default/x` on HTTP publish).
    pub fn parse_lenient(path: &str) -> Result<Self, ChannelError> {
        Self::parse(&normalize(path))
    }

    /// The path, with its leading `/`.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// The first segment.
    pub fn namespace(&self) -> &str {
        self.segments().next().unwrap_or_default()
    }

    /// The segments, namespace first (a wildcard path yields `*` last).
    pub fn segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.path[1..].split('/')
    }

    /// Whether the path ends in the `*` wildcard segment.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// Whether an event published to `channel` reaches a subscription to `self`.
    ///
    /// A concrete path matches only itself; `/a/*` matches every path with `/a` as a
    /// proper prefix (one or more further segments).
    pub fn matches(&self, channel: &ChannelPath) -> bool {
        if !self.wildcard {
            return self.path == channel.path;
        }
        let prefix = &self.path[..self.path.len() - 1]; // keep the trailing '/'
        channel.path.len() > prefix.len() && channel.path.starts_with(prefix)
    }
}

impl fmt::Display for ChannelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

/// Adds the leading `/` when it is missing.
pub fn normalize(path: &str) -> Cow<'_, str> {
    if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    }
}

/// Whether `segment` is a valid literal (non-namespace, non-wildcard) channel segment.
pub fn is_valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= MAX_SEGMENT_LEN
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `name` is a valid namespace name: `[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?`.
pub fn is_valid_namespace(name: &str) -> bool {
    is_valid_segment(name) && !name.starts_with('-') && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(path: &str) -> ChannelPath {
        ChannelPath::parse(path).unwrap_or_else(|e| panic!("{path} should parse: {e}"))
    }

    #[test]
    fn valid_paths_parse() {
        for path in [
            "/ns",
            "/ns/a",
            "/ns/a/b/c/d",
            "/default/channel",
            "/n-1/User-42",
            "/ns/*",
            "/ns/a/b/c/*",
        ] {
            ok(path);
        }
        let ch = ok("/users/abc/inbox");
        assert_eq!(ch.namespace(), "users");
        assert_eq!(ch.segments().collect::<Vec<_>>(), ["users", "abc", "inbox"]);
    }

    #[test]
    fn invalid_paths_are_refused_with_the_reason() {
        use ChannelError::*;
        type Make = fn(String) -> ChannelError;
        let cases: &[(&str, Make)] = &[
            ("ns/a", MissingLeadingSlash),
            ("/ns/a/b/c/d/e", TooManySegments),
            ("/ns//a", EmptySegment),
            ("/ns/a/", EmptySegment),
            ("/", EmptySegment),
            ("/ns/a_b", InvalidCharacter),
            ("/ns/a.b", InvalidCharacter),
            ("/ns/ä", InvalidCharacter),
            ("/-ns/a", InvalidCharacter),
            ("/*", MisplacedWildcard),
            ("/ns/*/a", MisplacedWildcard),
            ("/ns/a*", MisplacedWildcard),
        ];
        for (path, make) in cases {
            assert_eq!(
                ChannelPath::parse(path),
                Err(make((*path).to_owned())),
                "{path}"
            );
        }
        assert_eq!(ChannelPath::parse(""), Err(ChannelError::Empty));
        let long = format!("/ns/{}", "a".repeat(51));
        assert_eq!(
            ChannelPath::parse(&long),
            Err(ChannelError::SegmentTooLong(long.clone()))
        );
    }

    #[test]
    fn publishing_to_a_wildcard_is_refused() {
        assert_eq!(
            ChannelPath::parse_publish("/ns/*"),
            Err(ChannelError::WildcardNotAllowed("/ns/*".into()))
        );
        assert!(ChannelPath::parse_publish("/ns/a").is_ok());
    }

    #[test]
    fn lenient_parse_adds_the_leading_slash() {
        assert_eq!(
            ChannelPath::parse_lenient("default/test").map(|c| c.to_string()),
            Ok("/default/test".into())
        );
    }

    #[test]
    fn wildcard_matches_one_or_more_further_segments() {
        let sub = ok("/ns/a/*");
        assert!(sub.matches(&ok("/ns/a/b")));
        assert!(sub.matches(&ok("/ns/a/b/c")));
        assert!(!sub.matches(&ok("/ns/a")));
        assert!(!sub.matches(&ok("/ns/ab")));
        assert!(!sub.matches(&ok("/ns/b/c")));
        assert!(ok("/ns/a").matches(&ok("/ns/a")));
        assert!(!ok("/ns/a").matches(&ok("/ns/a/b")));
    }
}
