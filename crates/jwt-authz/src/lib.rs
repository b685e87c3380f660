//! Token verification and channel authorization for AWS AppSync Lambda authorizers.
//!
//! This crate holds all the logic of the `authorizer` function and none of its plumbing:
//! it never reads environment variables and does not depend on the Lambda runtime, so a
//! custom authorizer (or any other service) can use it directly.
//!
//! # API
//! - Build: [`AuthorizerConfig`] (the configuration document, [`IssuerConfig`] per issuer,
//!   [`SecretRef`] for a shared secret) + [`Dependencies`] (a [`Fetcher`], usually
//!   [`HttpFetcher`]; a [`SecretProvider`] such as [`NoSecretStore`]; a [`JwksPolicy`]) →
//!   [`Authorizer::new`], then [`Authorizer::prefetch`] at init.
//! - Decide: [`Authorizer::authorize`] → a [`Decision`]: the [`Response`] to return to
//!   AppSync and, when denied, the [`Denial`] reason code. Configuration and
//!   infrastructure failures are an [`Error`].
//! - Verify only: [`Verifier`] → [`Verified`] claims, from [`Issuer`]s ([`Profile`],
//!   [`Algorithm`] allow-list, [`JwksCache`] or shared secret).
//! - Rules: [`ChannelRules`] and [`GraphqlRules`], compiled from [`ChannelRuleConfig`] and
//!   [`GraphqlRuleConfig`] ([`ConditionConfig`]), decide an [`Operation`] →
//!   [`RuleDecision`] / [`RuleDenial`]; a rule that does not compile is a [`RuleError`]
//!   ([`RuleProblem`]).
//! - Inspect (diagnostics, tools): [`UnverifiedToken`] (header and claims, signature not
//!   checked), [`KeySet`] / [`KeySource`] / [`discover`] with each [`VerifyingKey`] and each
//!   [`SkippedKey`]'s [`SkipReason`].
//!
//! Signatures are checked with aws-lc-rs directly, keys parsed once when a key set loads;
//! jsonwebtoken is not a dependency: the tests use it as an independent implementation to
//! cross-check accept and refuse decisions (`tests/jsonwebtoken_oracle.rs`).
//!
//! # Layout
//! The verification pipeline, one private module per step:
//! - `extract`: the raw `authorizationToken` → a compact JWS (prefixes, suffixes,
//!   `Bearer`, length and shape limits).
//! - `jws`: header parsing (`alg` allow-list input, `kid`, `crit`/`typ` rules; key URLs in
//!   the header ignored), strict base64url, strict JSON (duplicate members refused).
//! - `keys` / `jwks` / `fetch`: JWK → key binding rules, keys parsed once per bound
//!   algorithm (aws-lc-rs); the self-refreshing key-set cache; the strict HTTP fetcher
//!   behind the [`Fetcher`] trait.
//! - `claims`: registered claims (`exp` required, `nbf`, `iat`, `aud`, `sub`) with type checks.
//! - `profile`: per-provider rules and defaults (Supabase, Auth0, Clerk, Cognito, Firebase, OIDC).
//! - `issuer` / `verifier`: compiled issuers and the pipeline that runs them;
//!   `recent`: tokens verified recently, re-checked without the signature math.
//! - `rules`: channel rules (Events) and field rules (GraphQL) bound to claims.
//! - `authorizer`: AppSync decisions and the `ttlOverride` of each answer.
//! - `config`: the configuration document; `error`: configuration and infrastructure
//!   errors; `denial`: the fixed set of reason codes for denied requests.
//!
//! # Example
//! ```no_run
//! # async fn example() -> Result<(), jwt_authz::Error> {
//! use std::sync::Arc;
//! use jwt_authz::{
//!     Authorizer, AuthorizerConfig, Dependencies, FetchLimits, HttpFetcher, IssuerConfig,
//!     NoSecretStore,
//! };
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

#![warn(missing_docs, unreachable_pub)]

mod algorithm;
mod authorizer;
mod claims;
mod config;
mod denial;
mod error;
mod extract;
mod fetch;
mod issuer;
mod jwks;
mod jws;
mod keys;
mod profile;
mod recent;
mod rules;
mod verifier;

pub use algorithm::Algorithm;
pub use authorizer::{Authorizer, Decision, Response};
pub use config::{AuthorizerConfig, IssuerConfig, SecretRef};
pub use denial::Denial;
pub use error::Error;
pub use extract::MAX_TOKEN_LEN;
pub use fetch::{FetchLimits, Fetcher, HttpFetcher};
pub use issuer::{Dependencies, Issuer, NoSecretStore, SecretProvider};
pub use jwks::{JwksCache, JwksPolicy, KeySet, KeySource, SkippedKey, discover};
pub use jws::UnverifiedToken;
pub use keys::{SkipReason, VerifyingKey};
pub use profile::Profile;
pub use rules::{
    ChannelRuleConfig, ChannelRules, ConditionConfig, GraphqlRuleConfig, GraphqlRules, Operation,
    RuleDecision, RuleDenial, RuleError, RuleProblem,
};
pub use verifier::{Verified, Verifier};
