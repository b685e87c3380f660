//! The `authorizer` function's configuration reading, as a library so that project tooling
//! (`cargo xtask doctor`) reads a configuration exactly as the deployed function does.
//! The function itself is `main.rs`; nothing here runs per invocation.
//!
//! - [`config`]: environment variables / the JSON document → [`jwt_authz::AuthorizerConfig`].
//! - [`secrets`]: the Secrets Manager / SSM [`jwt_authz::SecretProvider`].

pub mod config;
pub mod secrets;
