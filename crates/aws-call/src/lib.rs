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
//! # Layout
//! - [`sign`]: SigV4 headers for a request, a pure function (the publisher signs its
//!   AppSync requests with it too).
//! - [`credentials`]: the execution role's credentials from the environment, or a container
//!   credentials endpoint.
//! - [`endpoint`]: [`Settings`] read from the standard variables, and which URL and signing
//!   region a call goes to (an ARN's own region first).
//! - [`client`]: one bounded, signed `awsJson1_1` call with a retry, and the two
//!   operations.
//! - [`error`]: the error enum.

pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod sign;

pub use client::Client;
pub use credentials::CredentialSource;
pub use endpoint::{Endpoint, Service, Settings};
pub use error::Error;
pub use sign::{Signable, host_header, sign_headers};
