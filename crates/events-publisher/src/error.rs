//! The crate's error type.

use appsync_types::ChannelError;

/// Everything that can go wrong before or while publishing.
///
/// Configuration problems ([`InvalidEndpoint`](Self::InvalidEndpoint),
/// [`NoRegion`](Self::NoRegion),
/// [`HttpClient`](Self::HttpClient)) are returned by constructors. Input problems
/// ([`InvalidChannel`](Self::InvalidChannel), [`EventTooLarge`](Self::EventTooLarge))
/// refuse a whole input before anything of it is sent; [`Publisher::publish`] turns them
/// into per-event failures. Messages never contain credentials or signatures.
///
/// [`Publisher::publish`]: crate::Publisher::publish
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The endpoint value cannot be used.
    #[error("invalid events endpoint {value:?}: {reason}")]
    InvalidEndpoint {
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No explicit region, a host that names none, and no fallback.
    #[error(
        "no signing region for {host:?}: it is not a standard *.appsync-api.<region>.amazonaws.com host; give the region explicitly"
    )]
    NoRegion {
        /// The endpoint host.
        host: String,
    },
    /// The channel is not a valid concrete channel path; nothing of the input was sent.
    #[error("invalid channel {channel:?}: {source}")]
    InvalidChannel {
        /// The channel as given.
        channel: String,
        /// Why it is invalid.
        #[source]
        source: ChannelError,
    },
    /// An event, serialized to JSON, exceeds the per-event limit; nothing of the input was
    /// sent.
    #[error(
        "event {index} for channel {channel:?} is {size} bytes serialized, over the {limit}-byte limit"
    )]
    EventTooLarge {
        /// The channel of the input.
        channel: String,
        /// Index of the event within its input.
        index: usize,
        /// Serialized size in bytes.
        size: usize,
        /// The limit in bytes ([`MAX_EVENT_BYTES`](crate::MAX_EVENT_BYTES)).
        limit: usize,
    },
    /// An event cannot be serialized to JSON; nothing of the input was sent.
    #[error("event {index} for channel {channel:?} cannot be serialized: {reason}")]
    InvalidEvent {
        /// The channel of the input.
        channel: String,
        /// Index of the event within its input.
        index: usize,
        /// The serializer's message.
        reason: String,
    },
    /// SigV4 signing failed (a malformed URL or header, never a credential problem).
    #[error("cannot sign the request: {0}")]
    Signing(String),
    /// The HTTP client could not be built (e.g. no TLS roots).
    #[error("cannot build the http client: {0}")]
    HttpClient(String),
    /// The settings are inconsistent (e.g. zero concurrency).
    #[error("invalid publisher settings: {0}")]
    InvalidSettings(String),
}
