//! Token verification and channel authorization for AWS AppSync Lambda authorizers.
//!
//! This crate holds all the logic of the `authorizer` function and none of its plumbing:
//! it never reads environment variables and does not depend on the Lambda runtime, so a
//! custom authorizer (or any other service) can use it directly.
//!
//! # Layout
//! The verification pipeline, one module per step:
//! - [`extract`]: the raw `authorizationToken` → a compact JWS (prefixes, suffixes,
//!   `Bearer`, length and shape limits).
//! - [`jws`]: header parsing (`alg` allow-list input, `kid`, `crit`/`typ` rules; key URLs in
//!   the header ignored), strict base64url, strict JSON (duplicate members refused).
//! - [`keys`] / [`jwks`] / [`fetch`]: JWK → key binding rules, keys parsed once per bound
//!   algorithm (aws-lc-rs); the self-refreshing key-set cache; the strict HTTP fetcher
//!   behind a [`fetch::Fetcher`] trait.
//! - [`claims`]: registered claims (`exp` required, `nbf`, `iat`, `aud`, `sub`) with type checks.
//! - [`profile`]: per-provider rules and defaults (Supabase, Auth0, Clerk, Cognito, Firebase, OIDC).
//! - [`issuer`] / [`verifier`]: compiled issuers and the pipeline that runs them;
//!   [`recent`]: tokens verified recently, re-checked without the signature math.
//! - [`rules`]: channel rules (Events) and field rules (GraphQL) bound to claims.
//! - [`authorizer`]: AppSync decisions and the `ttlOverride` of each answer.
//! - [`config`]: the configuration document; [`error`]: configuration and infrastructure
//!   errors; [`denial`]: the fixed set of reason codes for denied requests.
//!
//! # Example
//! ```no_run
//! # async fn example() -> Result<(), jwt_authz::Error> {
//! use std::sync::Arc;
//! use jwt_authz::{Authorizer, AuthorizerConfig, IssuerConfig};
//! use jwt_authz::fetch::{FetchLimits, HttpFetcher};
//! use jwt_authz::issuer::{Dependencies, NoSecretStore};
//!
//! let config = AuthorizerConfig {
//!     issuers: vec![IssuerConfig { issuer: "https://abcd.supabase.co/auth/v1".into(), ..Default::default() }],
//!     ..Default::default()
//! };
//! let deps = Dependencies {
//!     fetcher: Arc::new(HttpFetcher::new(FetchLimits::default())?),
//!     secrets: Arc::new(NoSecretStore),
//!     jwks_policy: Default::default(),
//! };
//! let authorizer = Authorizer::new(&config, &deps)?;
//! authorizer.prefetch().await; // at init
//! let event = serde_json::json!({"authorizationToken": "…", "requestContext": {"operation": "EVENT_CONNECT"}});
//! let decision = authorizer.authorize(&event).await;
//! println!("{} {}", decision.reason(), decision.response.to_value());
//! # Ok(()) }
//! ```

pub mod authorizer;
pub mod claims;
pub mod config;
pub mod denial;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod issuer;
pub mod jwks;
pub mod jws;
pub mod keys;
pub mod profile;
pub mod recent;
pub mod rules;
pub mod verifier;

pub use authorizer::{Authorizer, Decision, Response};
pub use config::{AuthorizerConfig, IssuerConfig, SecretRef};
pub use denial::Denial;
pub use error::Error;
pub use verifier::{Verified, Verifier};
