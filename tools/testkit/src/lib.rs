//! The one copy of every test double: the Lambda and AWS stand-ins the end-to-end suites,
//! `local-events`, `cargo xtask` and the benchmarks run the real binaries against.
//!
//! **Development only.** Nothing that ships (`crates/`, `functions/`) may depend on this
//! crate, directly or through another; it is a dependency of `tools/` and of tests only.
//! Every server here listens on 127.0.0.1, on a port the OS picks, and nothing reaches
//! beyond loopback.
//!
//! # Layout
//! Lambda:
//! - [`runtime`]: the Lambda Runtime API server and [`runtime::LambdaProcess`] (spawn a
//!   function binary, invoke it, capture its logs, kill it on drop).
//! - [`invoke_api`]: a Lambda Invoke API forwarding to a [`runtime::LambdaProcess`], so
//!   `local-events` can call the real authorizer.
//! - [`binaries`]: builds the workspace binaries once per test process and finds them.
//! - [`dev_loop`]: the development loop whole — the real local-events, the authorizer
//!   behind an Invoke API, the publisher pointed at them, development tokens, a raw Events
//!   WebSocket client; [`node`]: `node --test` runs and their TAP summary.
//! - [`events`]: authorizer requests and decision logs shared by the authorizer suites;
//!   [`logs`]: a function's JSON and metric lines, waited for.
//!
//! Identity and AWS:
//! - [`idp`]: keys, token minting, a misbehaving-on-command JWKS server, and an
//!   [`idp::Issuer`] (one key behind one server) for the common case.
//! - [`sigv4`]: an independent SigV4 verifier, written from the specification and checked
//!   against botocore's vectors (`tests/fixtures/sigv4/`); [`clock`]: its UTC dates.
//! - [`aws_fake`]: Secrets Manager / SSM on loopback, signatures checked by [`sigv4`].
//! - [`events_fake`]: the AppSync Events HTTP publish endpoint (and `GetApi`), signatures
//!   checked by [`sigv4`], faults on command.
//! - [`dev_ca`]: the development CA and its server certificates (local-events' `--tls`);
//!   [`tls_front`]: HTTPS from that CA in front of a loopback server.
//!
//! Templates and containers:
//! - [`cfn`]: the one reader of `template.yaml` — YAML to JSON with CloudFormation's tags,
//!   parameters checked as CloudFormation checks them, `Rules`, conditions and intrinsics
//!   evaluated for one parameter set.
//! - [`docker`]: a private `dockerd` on its own bridge and an offline stand-in for the
//!   Lambda base image, for `sam local invoke` (`tests/sam_local.rs`).

pub mod aws_fake;
pub mod binaries;
pub mod cfn;
pub mod clock;
pub mod dev_ca;
pub mod dev_loop;
pub mod docker;
pub mod events;
pub mod events_fake;
pub mod idp;
pub mod invoke_api;
pub mod logs;
pub mod node;
pub mod runtime;
pub mod sigv4;
pub mod tls_front;
