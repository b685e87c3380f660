//! The grammar of AppSync Events channel paths; [`ChannelPath`](crate::ChannelPath) is a
//! path checked against it.
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
//! refused by [`ChannelPath::parse_publish`](crate::ChannelPath::parse_publish).

use std::borrow::Cow;

/// The most segments a channel path may have, including the namespace.
pub const MAX_SEGMENTS: usize = 5;
/// The longest a single segment may be.
pub const MAX_SEGMENT_LEN: usize = 50;
/// The wildcard segment.
pub const WILDCARD: &str = "*";

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
    use crate::{ChannelError, ChannelPath};

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
