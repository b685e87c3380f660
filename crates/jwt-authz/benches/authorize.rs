//! What a decision costs besides the signature: token extraction, header and payload
//! parsing, registered claims, channel rules, the handler context and the answer.
//!
//! - `overhead/*`: each step alone, on the same Supabase-shaped token.
//! - `authorize/<alg>/*`: `Verifier::verify` alone, then `Authorizer::authorize_at` on an
//!   `EVENT_SUBSCRIBE` request governed by five channel rules (the matching rule last),
//!   with the answer serialized as the function sends it. The difference is what rules and
//!   request/answer handling add to a verification.
//!
//! Run with `cargo bench -p jwt-authz --bench authorize`.

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use appsync_types::{AuthorizerRequest, ChannelPath};
use common::{Alg, Keys, MemoryFetcher, NOW, SUB};
use criterion::{Criterion, criterion_group, criterion_main};
use jwt_authz::{
    Authorizer, AuthorizerConfig, ChannelRuleConfig, ChannelRules, Operation, UnverifiedToken,
    Verifier,
};
use serde_json::{Map, Value, json};

/// The token prefix clients put in front of the JWT so AppSync routes it to the Lambda
/// authorizer.
const PREFIX: &str = "supabase:";

/// Realistic Supabase rules (docs/channel-rules.md); the request matches the last one.
fn rules() -> Vec<ChannelRuleConfig> {
    serde_json::from_value(json!([
        {"channel": "/public/*", "operations": ["subscribe"]},
        {"channel": "/announcements/*", "operations": ["subscribe"]},
        {"channel": "/announcements/*", "operations": ["publish"],
         "when": [{"claim": "app_metadata.role", "equals": "admin"}]},
        {"channel": "/orgs/{app_metadata.org_id}/*", "operations": ["subscribe", "publish"]},
        {"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"],
         "when": [{"claim": "is_anonymous", "equals": false}]},
    ]))
    .expect("rules parse")
}

fn channel() -> String {
    format!("/users/{SUB}/inbox")
}

/// An `EVENT_SUBSCRIBE` request as AppSync sends it.
fn subscribe_event(token: &str) -> Value {
    json!({
        "authorizationToken": format!("{PREFIX}{token}"),
        "requestContext": {
            "apiId": "q4xz7ehpzbgvdmhkmx5wzmorsu",
            "accountId": "111122223333",
            "requestId": "ad5e6f70-8192-43a4-8ebf-3a4b5c6d7e8f",
            "operation": "EVENT_SUBSCRIBE",
            "channelNamespaceName": "users",
            "channel": channel(),
        },
        "requestHeaders": {
            "host": "q4xz7ehpzbgvdmhkmx5wzmorsu.appsync-realtime-api.us-east-1.amazonaws.com",
            "origin": "http://localhost:3000",
            "user-agent": "aws-amplify/6.15.2 api/1 framework/2",
            "x-forwarded-for": "203.0.113.10",
        },
    })
}

fn claims_of(token: &str) -> Map<String, Value> {
    let parsed = UnverifiedToken::parse(token).expect("token parses");
    parsed.claims().expect("payload is an object")
}

fn steps(c: &mut Criterion, keys: &Keys) {
    let token = keys.token(Alg::Es256);
    let raw = format!("{PREFIX}{token}");
    let mut config = common::config(Alg::Es256);
    config.token_prefixes = vec![PREFIX.into()];
    let fetcher = Arc::new(MemoryFetcher::new(&keys.jwks()));
    let verifier =
        Verifier::new(&config, &common::dependencies(fetcher)).expect("verifier compiles");
    // The Supabase issuer's registered-claim checks: `aud` = authenticated, 30 s leeway.
    let issuer = &verifier.issuers()[0];
    let claims = claims_of(&token);
    let rules = ChannelRules::compile(&rules()).expect("rules compile");
    let channel = ChannelPath::parse_lenient(&channel()).expect("channel");
    assert!(
        rules
            .decide(Operation::Subscribe, Some(&channel), &claims)
            .is_allowed()
    );
    let event = subscribe_event(&token);

    let mut group = c.benchmark_group("overhead");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("extract", |b| {
        b.iter(|| verifier.extract(black_box(&raw)).is_ok())
    });
    group.bench_function("header+payload", |b| {
        b.iter(|| {
            let parsed = UnverifiedToken::parse(black_box(&token)).expect("parses");
            parsed.claims().is_ok()
        })
    });
    group.bench_function("claims", |b| {
        b.iter(|| issuer.check_claims(black_box(&claims), NOW).is_ok())
    });
    group.bench_function("channel-rules", |b| {
        b.iter(|| {
            rules
                .decide(Operation::Subscribe, Some(black_box(&channel)), &claims)
                .is_allowed()
        })
    });
    group.bench_function("channel-parse", |b| {
        b.iter(|| ChannelPath::parse_lenient(black_box("/users/2d4c9a1e/inbox")).is_ok())
    });
    group.bench_function("request-parse", |b| {
        b.iter(|| AuthorizerRequest::from_value(black_box(&event)).is_ok())
    });
    group.finish();
}

fn decisions(c: &mut Criterion, keys: &Keys) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let fetcher = Arc::new(MemoryFetcher::new(&keys.jwks()));
    for alg in [Alg::Es256, Alg::Hs256] {
        let mut config: AuthorizerConfig = common::config(alg);
        config.token_prefixes = vec![PREFIX.into()];
        config.channel_rules = rules();
        let authorizer = Authorizer::new(&config, &common::dependencies(fetcher.clone()))
            .expect("authorizer compiles");
        runtime.block_on(authorizer.prefetch());
        let token = keys.token(alg);
        let event = subscribe_event(&token);
        let decision = runtime.block_on(authorizer.authorize_at(&event, NOW));
        assert_eq!(decision.reason(), "allowed", "{}", alg.name());
        assert_eq!(decision.response.ttl(), Some(0), "channel-dependent allow");

        let mut group = c.benchmark_group(format!("authorize/{}", alg.name()));
        group.measurement_time(Duration::from_secs(4));
        group.bench_function("verify", |b| {
            b.to_async(&runtime).iter(|| async {
                let raw = event["authorizationToken"].as_str().expect("token");
                authorizer
                    .verifier()
                    .verify(black_box(raw), NOW)
                    .await
                    .is_ok()
            })
        });
        group.bench_function("subscribe-with-rules", |b| {
            b.to_async(&runtime).iter(|| async {
                let decision = authorizer.authorize_at(black_box(&event), NOW).await;
                black_box(decision.response.to_value())
            })
        });
        group.finish();
    }
}

fn authorization(c: &mut Criterion) {
    let keys = Keys::generate();
    steps(c, &keys);
    decisions(c, &keys);
}

criterion_group!(benches, authorization);
criterion_main!(benches);
