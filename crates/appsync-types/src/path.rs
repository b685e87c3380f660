//! [`ChannelPath`]: a channel path checked against the grammar in [`crate::channel`].

use std::fmt;

use crate::channel::{
    MAX_SEGMENT_LEN, MAX_SEGMENTS, WILDCARD, is_valid_namespace, is_valid_segment, normalize,
};

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
