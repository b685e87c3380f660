//! `cargo xtask samples [--check]`: the authorizer samples (`events/authorizer/`, requests
//! and exact expected answers) and `dev/sam-local-env.json`, generated from
//! `dev/local.env`.
//!
//! Tokens are signed by the development issuer with fixed `iat`/`exp`, so the output is
//! reproducible byte for byte. The expected answers are written from the documented
//! contract (the authorizer's response rules), not captured from a run, so running the
//! samples is a real check of the authorizer.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{self, switch};
use crate::dev_env::DevEnv;
use crate::generated;
use crate::json::{Json, object};
use crate::token::{DEV_SESSION_ID, DEV_SUB, dev_claims, sign};

const IAT: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const FAR_FUTURE: i64 = 4_102_444_800; // 2100-01-01T00:00:00Z
const EXPIRED: i64 = 1_767_229_200; // 2026-01-01T01:00:00Z: one hour after IAT, long past

const API_ID: &str = "q4xz7ehpzbgvdmhkmx5wzmorsu";
const ACCOUNT_ID: &str = "111122223333";
const REGION: &str = "us-east-1";
const USER_AGENT: &str = "aws-amplify/6.15.2 api/1 framework/2";
const ORIGIN: &str = "http://localhost:3000";
const CLIENT_IP: &str = "203.0.113.10";

/// The authorizer samples, in the order they are written.
pub const NAMES: [&str; 7] = [
    "connect",
    "connect-prefixed",
    "connect-expired",
    "connect-wrong-issuer",
    "subscribe",
    "publish",
    "graphql",
];

/// The variables `sam local invoke` gives the authorizer (`dev/sam-local-env.json`).
const SAM_LOCAL_AUTHORIZER: [&str; 5] = [
    "JWT_PROFILE",
    "JWT_ISSUER",
    "JWT_SECRET",
    "TOKEN_PREFIXES",
    "AUTH_CACHE_TTL_SECONDS",
];

/// Every generated file: `(path relative to the workspace root, content)`.
pub fn outputs(env: &DevEnv) -> Result<Vec<(PathBuf, String)>, String> {
    let issuer = env.require("JWT_ISSUER")?;
    let secret = env.require("JWT_SECRET")?;
    let prefix = env
        .require("TOKEN_PREFIXES")?
        .split(',')
        .next()
        .unwrap_or_default()
        .trim();
    let cache_ttl: i64 = env
        .require("AUTH_CACHE_TTL_SECONDS")?
        .parse()
        .map_err(|_| "AUTH_CACHE_TTL_SECONDS is not an integer".to_owned())?;

    let valid = sign(&dev_claims(DEV_SUB, issuer, IAT, FAR_FUTURE), secret);
    let expired = sign(&dev_claims(DEV_SUB, issuer, IAT, EXPIRED), secret);
    let wrong_issuer = sign(
        &dev_claims(
            DEV_SUB,
            "https://attacker.example.com/auth/v1",
            IAT,
            FAR_FUTURE,
        ),
        secret,
    );
    let context = || {
        object([
            ("sub", DEV_SUB.into()),
            ("iss", issuer.into()),
            ("role", "authenticated".into()),
            ("aal", "aal1".into()),
            ("session_id", DEV_SESSION_ID.into()),
            ("is_anonymous", "false".into()),
        ])
    };
    let events_allow = object([
        ("isAuthorized", true.into()),
        ("handlerContext", context()),
        ("ttlOverride", cache_ttl.into()),
    ]);
    let deny = object([("isAuthorized", false.into()), ("ttlOverride", 0.into())]);
    let graphql_allow = object([
        ("isAuthorized", true.into()),
        ("resolverContext", context()),
        ("ttlOverride", cache_ttl.into()),
    ]);

    let connect = |token: &str, id| events_request(token, "EVENT_CONNECT", id, None, false);
    let samples = [
        (
            connect(&valid, "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
            &events_allow,
        ),
        (
            connect(
                &format!("{prefix}{valid}"),
                "7a2b3c4d-5e6f-4071-9b8c-0d1e2f3a4b5c",
            ),
            &events_allow,
        ),
        (
            connect(&expired, "8b3c4d5e-6f70-4182-ac9d-1e2f3a4b5c6d"),
            &deny,
        ),
        (
            connect(&wrong_issuer, "9c4d5e6f-7081-4293-bdae-2f3a4b5c6d7e"),
            &deny,
        ),
        (
            events_request(
                &valid,
                "EVENT_SUBSCRIBE",
                "ad5e6f70-8192-43a4-8ebf-3a4b5c6d7e8f",
                Some("/default/*"),
                false,
            ),
            &events_allow,
        ),
        (
            events_request(
                &valid,
                "EVENT_PUBLISH",
                "be6f7081-92a3-44b5-9fc0-4b5c6d7e8f90",
                Some("/default/orders"),
                true,
            ),
            &events_allow,
        ),
        (graphql_request(&valid), &graphql_allow),
    ];

    let mut outputs = vec![(
        PathBuf::from("dev/sam-local-env.json"),
        sam_local_env(env)?.pretty(),
    )];
    for (name, (request, expected)) in NAMES.iter().zip(samples) {
        let dir = PathBuf::from("events/authorizer");
        outputs.push((dir.join(format!("{name}.json")), request.pretty()));
        outputs.push((dir.join(format!("{name}.expected.json")), expected.pretty()));
    }
    Ok(outputs)
}

fn headers(host: &str, json_body: bool) -> Json {
    let mut headers = object([
        ("host", host.into()),
        ("origin", ORIGIN.into()),
        ("user-agent", USER_AGENT.into()),
        ("x-forwarded-for", CLIENT_IP.into()),
    ]);
    if json_body {
        headers.set("content-type", "application/json".into());
    }
    headers
}

/// An AppSync Events authorizer request (no channel keys on connect).
fn events_request(
    token: &str,
    operation: &str,
    request_id: &str,
    channel: Option<&str>,
    http: bool,
) -> Json {
    let mut context = object([
        ("apiId", API_ID.into()),
        ("accountId", ACCOUNT_ID.into()),
        ("requestId", request_id.into()),
        ("operation", operation.into()),
    ]);
    if let Some(channel) = channel {
        let namespace = channel.split('/').nth(1).unwrap_or_default();
        context.set("channelNamespaceName", namespace.into());
        context.set("channel", channel.into());
    }
    let host = if http {
        format!("{API_ID}.appsync-api.{REGION}.amazonaws.com")
    } else {
        format!("{API_ID}.appsync-realtime-api.{REGION}.amazonaws.com")
    };
    object([
        ("authorizationToken", token.into()),
        ("requestContext", context),
        ("requestHeaders", headers(&host, http)),
    ])
}

/// An AppSync GraphQL authorizer request.
fn graphql_request(token: &str) -> Json {
    let query = "query GetOrder($id: ID!) {\n  getOrder(id: $id) {\n    id\n    status\n  }\n}\n";
    let headers = object([
        (
            "host",
            format!("{API_ID}.appsync-api.{REGION}.amazonaws.com").into(),
        ),
        ("content-type", "application/json".into()),
        ("origin", ORIGIN.into()),
        ("user-agent", USER_AGENT.into()),
        ("x-forwarded-for", CLIENT_IP.into()),
    ]);
    object([
        ("authorizationToken", token.into()),
        (
            "requestContext",
            object([
                ("apiId", API_ID.into()),
                ("accountId", ACCOUNT_ID.into()),
                ("requestId", "0b9bb4c7-2f0e-4a51-9b8e-5d3c1a7f6e21".into()),
                ("queryString", query.into()),
                ("operationName", "GetOrder".into()),
                ("variables", object([("id", "order-42".into())])),
            ]),
        ),
        ("requestHeaders", headers),
    ])
}

/// `sam local invoke --env-vars`: the development configuration per function logical id.
/// SAM local passes only variables the template declares; the conditional ones absent here
/// arrive as empty strings, which the functions treat as unset. The publisher reaches
/// local-events as a container does: TLS (its certificate names host.docker.internal) on
/// the port of `LOCAL_EVENTS_LISTEN`, with the stream triggers' channel patterns.
fn sam_local_env(env: &DevEnv) -> Result<Json, String> {
    let mut authorizer = object([]);
    for key in SAM_LOCAL_AUTHORIZER {
        authorizer.set(key, env.require(key)?.into());
    }
    let listen = env.require("LOCAL_EVENTS_LISTEN")?;
    let port = listen.rsplit(':').next().unwrap_or(listen);
    Ok(object([
        ("AuthorizerFunction", authorizer),
        (
            "PublisherFunction",
            object([
                (
                    "EVENTS_ENDPOINT",
                    format!("https://host.docker.internal:{port}").into(),
                ),
                (
                    "PUBLISH_DYNAMODB_CHANNEL",
                    env.require("PUBLISH_DYNAMODB_CHANNEL")?.into(),
                ),
                (
                    "PUBLISH_KINESIS_CHANNEL",
                    env.require("PUBLISH_KINESIS_CHANNEL")?.into(),
                ),
            ]),
        ),
    ]))
}

const HELP: &str = "\
usage: cargo xtask samples [--check]

Regenerates events/authorizer/ (sample requests and their exact expected answers) and
dev/sam-local-env.json from dev/local.env, reproducibly (valid tokens expire in 2100);
--check only reports the stale files and fails.";

/// `cargo xtask samples`.
pub fn main(raw: Vec<String>) -> ExitCode {
    let args = match cli::parse(raw, &[switch("--check")]) {
        Ok(args) if args.help => {
            eprintln!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(args) if args.positional.is_empty() => args,
        Ok(_) => {
            eprintln!("samples: unexpected argument\n\n{HELP}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("samples: {error}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let root = crate::workspace_root();
    let outputs = DevEnv::load(&root).and_then(|env| outputs(&env));
    generated::write_or_check(&root, outputs, args.has("--check"), "cargo xtask samples")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_samples_are_what_the_generator_produces() {
        let root = crate::workspace_root();
        let env = DevEnv::load(&root).expect("dev/local.env");
        let outputs = outputs(&env).expect("generates");
        assert_eq!(outputs.len(), 1 + 2 * NAMES.len());
        let stale = generated::stale(&root, &outputs);
        assert!(
            stale.is_empty(),
            "stale: {stale:?}; run `cargo xtask samples`"
        );
    }
}
