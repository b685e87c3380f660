//! Publish server-originated events to an AWS AppSync Events API over HTTP, SigV4-signed.
//!
//! ```no_run
//! # async fn example(credentials: aws_credential_types::provider::SharedCredentialsProvider)
//! # -> Result<(), events_publisher::PublishError> {
//! use std::time::{Duration, Instant};
//! use events_publisher::{Endpoint, PublishInput, Publisher, PublisherSettings, resolve_region};
//!
//! let endpoint = Endpoint::parse("abc.appsync-api.eu-west-1.amazonaws.com")?;
//! let region = resolve_region(None, endpoint.host(), Some("us-east-1"))?;
//! let publisher = Publisher::new(endpoint, region.region, credentials, PublisherSettings::default())?;
//! let input = PublishInput::new("/default/orders", vec![serde_json::json!({"id": 1})]);
//! let report = publisher.publish(&[input], Instant::now() + Duration::from_secs(10)).await;
//! assert!(report.is_complete());
//! # Ok(()) }
//! ```
//!
//! The crate reads no environment variables and knows nothing of Lambda: any Rust service
//! can use it. Facts it relies on (AppSync Events HTTP publish): `POST https://<domain>/event`
//! with `{"channel": "/ns/…", "events": ["<json>", …]}`, at most 5 events per request, at
//! most 240 KB per event, SigV4 service `appsync`, per-event failures reported inside a
//! `200`.
//!
//! # Layout
//! - [`endpoint`]: parse a bare domain or URL into the `/event` endpoint (https, or http on
//!   loopback only).
//! - [`region`]: which region to sign for — explicit, else from a standard host, else a
//!   fallback — and why.
//! - [`batch`]: validate channel and event sizes, serialize events, cut into requests of ≤ 5.
//! - [`sign`]: SigV4 as a pure function of request, credentials, region and time.
//! - [`client`]: [`Publisher`] — the HTTP client, lanes per channel, bounded concurrency.
//! - `send`: one request with retries; only unconfirmed events are resent.
//! - [`retry`]: which statuses are transient, exponential backoff with full jitter.
//! - [`response`]: lenient parsing of `failed` entries and of error bodies.
//! - [`outcome`]: the per-input report; every event is published or reported.
//! - [`error`]: the crate's error type, [`PublishError`].

pub mod batch;
pub mod client;
pub mod endpoint;
pub mod error;
pub mod outcome;
pub mod region;
pub mod response;
pub mod retry;
mod send;
pub mod sign;

pub use batch::{MAX_EVENT_BYTES, MAX_EVENTS_PER_REQUEST, PublishInput, prepare};
pub use client::{Publisher, PublisherSettings};
pub use endpoint::Endpoint;
pub use error::PublishError;
pub use outcome::{EventFailure, InputOutcome, PublishReport};
pub use region::{RegionSource, ResolvedRegion, resolve_region};
pub use sign::sign_request;

// Re-exported so callers can build a provider without naming the crate themselves.
pub use aws_credential_types::{Credentials, provider::SharedCredentialsProvider};
