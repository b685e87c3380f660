//! The crate's error type.

/// Why a pattern cannot be used, or why one record cannot be mapped.
///
/// [`InvalidPattern`](Self::InvalidPattern) comes from the mapping constructors (a
/// configuration error); every other variant concerns one record only. Messages quote
/// record values at most 64 characters long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamEventError {
    /// The channel pattern is malformed.
    #[error("invalid channel pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// A placeholder names something the record does not have.
    #[error("the record has no value for {{{placeholder}}}")]
    MissingValue {
        /// The placeholder, without braces.
        placeholder: String,
    },
    /// A placeholder's value is of a type that cannot be a channel segment.
    #[error(
        "{{{placeholder}}} is {kind}; only strings, numbers and booleans can be channel segments"
    )]
    UnusableValue {
        /// The placeholder, without braces.
        placeholder: String,
        /// The value's type (`a map`, `a list`, `binary`…).
        kind: &'static str,
    },
    /// A placeholder's value is not a valid channel segment.
    #[error("{{{placeholder}}} is {value:?}, not a channel segment (1-50 of A-Z a-z 0-9 -)")]
    InvalidSegment {
        /// The placeholder, without braces.
        placeholder: String,
        /// The value (its first 64 characters).
        value: String,
    },
    /// A DynamoDB number attribute is not a number.
    #[error("{value:?} is not a DynamoDB number")]
    InvalidNumber {
        /// The value (its first 64 characters).
        value: String,
    },
    /// The DynamoDB record's `eventName` is not `INSERT`, `MODIFY` or `REMOVE`.
    #[error("eventName {0:?} is not INSERT, MODIFY or REMOVE")]
    UnknownEventName(String),
    /// The Kinesis record's data is not JSON.
    #[error("the Kinesis record's data is not JSON: {0}")]
    DataNotJson(String),
    /// The event could not be written as JSON.
    #[error("the event cannot be written as JSON: {0}")]
    Json(String),
}

/// The first 64 characters of a record value, for messages.
pub(crate) fn excerpt(value: &str) -> String {
    value.chars().take(64).collect()
}
