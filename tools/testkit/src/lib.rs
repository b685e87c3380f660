//! Test doubles for every suite, bench and tool (development only; nothing that ships depends on this crate).
//!
//! The function binaries run for real, as child processes, against a Lambda **Runtime API**
//! served by this harness on loopback ([`runtime::RuntimeApi`]). Nothing here reaches beyond
//! 127.0.0.1.
//!
//! # Layout
//! - [`runtime`]: the Runtime API server and [`runtime::LambdaProcess`] (spawn, invoke,
//!   capture logs, kill on drop).
//! - [`idp`]: keys, token minting and a misbehaving-on-command JWKS server.
//! - [`aws_fake`]: a loopback Secrets Manager / SSM endpoint that misbehaves on command.
//! - [`invoke_api`]: a Lambda Invoke API forwarding to a [`runtime::LambdaProcess`], so
//!   `local-events` can call the real authorizer.
//! - [`binaries`]: builds the workspace binaries once per test process and finds them.
//! - [`tls_front`]: HTTPS in front of a loopback server, from a private CA.
//! - [`cfn`]: CloudFormation on paper — parameters, `Rules`, conditions and intrinsics of
//!   `template.yaml` evaluated for one parameter set.
//! - [`docker`]: a private `dockerd` on its own bridge and an offline stand-in for the
//!   Lambda base image, for `sam local invoke` (`tests/sam_local.rs`).

pub mod aws_fake;
pub mod binaries;
pub mod cfn;
pub mod docker;
pub mod events;
pub mod idp;
pub mod invoke_api;
pub mod runtime;
pub mod tls_front;
