//! Publish server-originated events to an AWS AppSync Events API over HTTP, SigV4-signed.
//!
//! ```no_run
//! # async fn example(credentials: aws_credential_types::provider::SharedCredentialsProvider)
//! # -> Result<(), events_publisher::PublishError> {
//! use std::time::{Duration, Instant};
//! use events_publisher::{Endpoint, PublishInput, Publisher, PublisherSettings, Region, resolve_region};
//!
//! let endpoint = Endpoint::parse("abc.appsync-api.eu-west-1.amazonaws.com")?;
//! let fallback = Region::parse("us-east-1").expect("a region name");
//! let region = resolve_region(None, endpoint.host(), Some(&fallback))?;
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
//! # API
//! - [`Endpoint`]: a bare domain or URL parsed into the `/event` endpoint (https, or http
//!   on loopback only).
//! - [`resolve_region`]: which [`Region`] to sign for — explicit, else from a standard
//!   host, else a fallback — and why ([`ResolvedRegion`], [`RegionSource`]).
//! - [`Publisher`] with [`PublisherSettings`] (and its [`Backoff`]): publishes
//!   [`PublishInput`]s and returns a [`PublishReport`] of [`InputOutcome`]s and
//!   [`EventFailure`]s — every event is published or reported.
//! - [`prepare`]: the validation and serialization `publish` applies to an input
//!   ([`PreparedInput`], [`MAX_EVENTS_PER_REQUEST`], [`MAX_EVENT_BYTES`]).
//! - [`sign_request`]: SigV4 for AppSync as a pure function of request, credentials,
//!   region and time.
//! - [`PublishError`]: the error enum.
//!
//! # Layout
//! `endpoint.rs`, `region.rs`, `batch.rs` (validation, serialization, cutting into requests
//! of ≤ 5), `sign.rs`, `client.rs` (lanes per channel, bounded concurrency), `send.rs` (one
//! request with retries; only unconfirmed events are resent), `retry.rs` (transient
//! statuses, exponential backoff with full jitter), `response.rs` (lenient parsing of
//! `failed` entries and error bodies), `outcome.rs`, `error.rs`.

#![warn(missing_docs, unreachable_pub)]

mod batch;
mod client;
mod endpoint;
mod error;
mod outcome;
mod region;
mod response;
mod retry;
mod send;
mod sign;

pub use batch::{MAX_EVENT_BYTES, MAX_EVENTS_PER_REQUEST, PreparedInput, PublishInput, prepare};
pub use client::{Publisher, PublisherSettings};
pub use endpoint::Endpoint;
pub use error::PublishError;
pub use outcome::{EventFailure, InputOutcome, PublishReport};
pub use region::{RegionSource, ResolvedRegion, resolve_region};
pub use retry::Backoff;
pub use sign::sign_request;

// Re-exported so callers can name what the API takes without depending on the crates
// themselves.
pub use aws_call::Region;
pub use aws_credential_types::{Credentials, provider::SharedCredentialsProvider};
