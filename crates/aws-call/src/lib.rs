//! Signed calls to AWS JSON APIs without the AWS SDK.
//!
//! The authorizer reads at most two things from AWS — a shared secret (Secrets Manager
//! `GetSecretValue` or SSM `GetParameter`) and, optionally, its configuration document
//! (SSM) — once, at init. The AWS SDK for those two calls nearly doubled the function's
//! binary (12.9 MB with it, 7.2 MB without) and its peak memory (9.1 MB, 6.8 MB without;
//! BENCHMARKS.md). This crate makes the same calls with the parts that matter taken from
//! maintained crates: SigV4 from `aws-sigv4`, HTTP from `reqwest`, credentials from the
//! environment Lambda provides. Nothing here is crypto, SigV4 or HTTP written by hand.
//!
//! # API
//! - [`Client`]: `get_secret_value` and `get_parameter`, each one bounded, signed call
//!   ([`ATTEMPT_TIMEOUT`], [`MAX_ATTEMPTS`], [`OPERATION_TIMEOUT`], [`MAX_RESPONSE`]).
//! - [`Settings`]: region, FIPS and endpoint overrides, read from the standard variables
//!   through a lookup the caller passes; [`CredentialSource`]: where credentials come from.
//! - [`Region`]: the one check of a region name, shared with the publisher.
//! - [`sign_headers`] for a [`Signable`] request, and the [`host_header`] it must carry:
//!   SigV4 as a pure function (the publisher signs its AppSync requests with it too).
//! - [`Error`]: the error enum.
//!
//! # Layout
//! `client.rs` (the call and the two operations), `credentials.rs`, `endpoint.rs` (which
//! URL and signing region a call goes to: an ARN's own region first), `region.rs`,
//! `sign.rs`, `error.rs`.

#![warn(missing_docs, unreachable_pub)]

mod client;
mod credentials;
mod endpoint;
mod error;
mod region;
mod sign;

pub use client::{ATTEMPT_TIMEOUT, Client, MAX_ATTEMPTS, MAX_RESPONSE, OPERATION_TIMEOUT};
pub use credentials::CredentialSource;
pub use endpoint::Settings;
pub use error::Error;
pub use region::Region;
pub use sign::{Signable, host_header, sign_headers};
