//! The real `authorizer` binary while what it depends on fails for real: a JWKS endpoint
//! that refuses connections, errors, stalls, floods, redirects, answers HTML or resets;
//! a secret store that errors, stalls or is not there; storms of unknown key ids; and
//! concurrent invocations in one process (Lambda managed instances).
//!
//! Every failure must give a deny with `ttlOverride: 0` well inside 3 s (the fetch timeout
//! is 1.5 s, the secret-store budget 1.5 s), leave the process running, and heal by itself
//! once the dependency does. The key cache's bounded stale window needs a max-age shorter
//! than the binary's 10 minutes, so it is tested in `crates/jwt-authz/tests/jwks_cache.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::aws_fake::{AwsFake, AwsMode};
use testkit::binaries::binary;
use testkit::events::{authorizer_for, connect, reasons, settled_reasons, user_claims as claims};
use testkit::idp::{Issuer, JwksServer, Mode, TestKey};
use testkit::runtime::{LambdaProcess, Outcome};
use testkit::tls_front::TlsFront;

/// The failure backoff of the key cache (2 s) plus a margin.
const JWKS_BACKOFF: Duration = Duration::from_millis(2100);
/// The retry interval of an unavailable shared secret (5 s) plus a margin.
const SECRET_RETRY: Duration = Duration::from_millis(5100);
/// The bound every deny must meet.
const FAST: Duration = Duration::from_secs(3);
const SECRET: &str = "failure-tests-hs256-secret-0123456789abcdefghij";
const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:supabase-jwt-AbCdEf";

/// Invokes and returns the answer and how long it took.
async fn timed(f: &LambdaProcess, event: &Value) -> (Value, Duration) {
    let started = Instant::now();
    match f.invoke(event).await {
        Outcome::Response(v) => (v, started.elapsed()),
        Outcome::Error(e) => panic!("invocation error instead of an answer: {e}"),
    }
}

async fn assert_fast_deny(f: &mut LambdaProcess, event: &Value, reason: &str, what: &str) {
    let before = reasons(f).len();
    let (answer, took) = timed(f, event).await;
    assert_eq!(
        answer,
        json!({"isAuthorized": false, "ttlOverride": 0}),
        "{what}"
    );
    assert!(took < FAST, "{what}: deny took {took:?}");
    let logged = settled_reasons(f, before + 1).await;
    assert_eq!(logged.last().map(String::as_str), Some(reason), "{what}");
    assert!(f.is_running(), "{what}: the process must stay up");
}

async fn assert_allowed(f: &LambdaProcess, event: &Value, what: &str) {
    let (answer, _) = timed(f, event).await;
    assert_eq!(answer["isAuthorized"], true, "{what}: {answer}");
}

/// A valid connect request for `idp`'s user.
fn valid(idp: &Issuer) -> Value {
    connect(&idp.token(&claims(&idp.iss())))
}

/// Cold start against a faulty JWKS endpoint: deny at once (init's attempt just failed),
/// deny again within the bound when a request makes a fresh attempt, then heal.
async fn jwks_fault_denies_fast_then_heals(idp: &Issuer, fault: Mode) {
    idp.server.set_mode(fault.clone());
    let mut f = authorizer_for(idp, &[]).await;
    let what = format!("{fault:?}");
    assert_fast_deny(&mut f, &valid(idp), "keys_unavailable", &what).await;
    tokio::time::sleep(JWKS_BACKOFF).await;
    let hits = idp.server.hits();
    assert_fast_deny(&mut f, &valid(idp), "keys_unavailable", &what).await;
    assert!(
        idp.server.hits() > hits,
        "{what}: the request retried the fetch"
    );
    idp.server.set_mode(Mode::Healthy);
    tokio::time::sleep(JWKS_BACKOFF).await;
    assert_allowed(&f, &valid(idp), &format!("{what}, healed")).await;
}

#[tokio::test]
async fn jwks_answering_500_denies_fast_then_heals() {
    jwks_fault_denies_fast_then_heals(&Issuer::start().await, Mode::Status(500)).await;
}

#[tokio::test]
async fn jwks_answering_after_20_seconds_is_cut_off_then_heals() {
    jwks_fault_denies_fast_then_heals(&Issuer::start().await, Mode::Slow(Duration::from_secs(20)))
        .await;
}

#[tokio::test]
async fn jwks_body_of_20_mb_is_refused_then_heals() {
    jwks_fault_denies_fast_then_heals(&Issuer::start().await, Mode::Huge(20 * 1024 * 1024)).await;
}

#[tokio::test]
async fn jwks_chunked_body_of_20_mb_without_length_is_refused_then_heals() {
    jwks_fault_denies_fast_then_heals(&Issuer::start().await, Mode::HugeChunked(20 * 1024 * 1024))
        .await;
}

#[tokio::test]
async fn jwks_answering_html_is_refused_then_heals() {
    jwks_fault_denies_fast_then_heals(&Issuer::start().await, Mode::Html).await;
}

#[tokio::test]
async fn jwks_resetting_the_connection_denies_fast_then_heals() {
    jwks_fault_denies_fast_then_heals(&Issuer::start().await, Mode::Reset).await;
}

#[tokio::test]
async fn jwks_dripping_its_body_byte_by_byte_is_cut_off_then_heals() {
    jwks_fault_denies_fast_then_heals(
        &Issuer::start().await,
        Mode::Drip(Duration::from_millis(200)),
    )
    .await;
}

#[tokio::test]
async fn jwks_redirecting_to_another_host_is_not_followed() {
    let idp = Issuer::start().await;
    // The other host serves the right keys: following the redirect would allow.
    let elsewhere = JwksServer::start(vec![idp.key.jwk("es")]).await;
    let location = elsewhere.jwks_url().replace("127.0.0.1", "localhost");
    jwks_fault_denies_fast_then_heals(&idp, Mode::Redirect(location)).await;
    assert_eq!(
        elsewhere.hits(),
        0,
        "the redirect target was never contacted"
    );
}

#[tokio::test]
async fn unreachable_jwks_port_at_cold_start_denies_fast_then_heals() {
    let idp = Issuer::start().await;
    idp.server.close().await;
    let mut f = authorizer_for(&idp, &[]).await;
    assert_fast_deny(&mut f, &valid(&idp), "keys_unavailable", "closed").await;
    tokio::time::sleep(JWKS_BACKOFF).await;
    assert_fast_deny(&mut f, &valid(&idp), "keys_unavailable", "closed").await;
    idp.server.reopen().await;
    tokio::time::sleep(JWKS_BACKOFF).await;
    assert_allowed(&f, &valid(&idp), "port open again").await;
    assert_eq!(idp.server.hits(), 1, "fetched once the port answered");
}

#[tokio::test]
async fn fetched_keys_keep_serving_while_the_jwks_endpoint_is_down() {
    let idp = Issuer::start().await;
    let mut f = authorizer_for(&idp, &[]).await;
    assert_allowed(&f, &valid(&idp), "healthy").await;
    idp.server.set_mode(Mode::Reset);
    let stranger = connect(&TestKey::es256().token(Some("new"), &claims(&idp.iss())));
    assert_fast_deny(
        &mut f,
        &stranger,
        "unknown_kid",
        "unknown kid, refresh fails",
    )
    .await;
    for _ in 0..5 {
        assert_allowed(&f, &valid(&idp), "known key, endpoint down").await;
    }
}

#[tokio::test]
async fn a_storm_of_unknown_kids_costs_a_bounded_number_of_fetches() {
    let idp = Issuer::start().await;
    let f = Arc::new(authorizer_for(&idp, &[("AWS_LAMBDA_MAX_CONCURRENCY", "8")]).await);
    let attacker = TestKey::es256();
    let mut storm = tokio::task::JoinSet::new();
    for i in 0..300 {
        let event = connect(&attacker.token(Some(&format!("kid-{i}")), &claims(&idp.iss())));
        let f = f.clone();
        storm.spawn(async move { timed(&f, &event).await.0 });
    }
    while let Some(answer) = storm.join_next().await {
        assert_eq!(
            answer.expect("task"),
            json!({"isAuthorized": false, "ttlOverride": 0})
        );
    }
    let logged = settled_reasons(&f, 300).await;
    let unknown = logged.iter().filter(|r| *r == "unknown_kid").count();
    assert_eq!(unknown, 300);
    assert_eq!(
        idp.server.hits(),
        2,
        "init + one refetch for 300 unknown kids"
    );
    assert_allowed(&f, &valid(&idp), "after the storm").await;
}

/// Sends `events` concurrently; returns each one's index, answer and latency.
async fn concurrently(f: &Arc<LambdaProcess>, events: Vec<Value>) -> Vec<(usize, Value, Duration)> {
    let mut set = tokio::task::JoinSet::new();
    for (i, event) in events.into_iter().enumerate() {
        let f = f.clone();
        set.spawn(async move {
            let (answer, took) = timed(&f, &event).await;
            (i, answer, took)
        });
    }
    let mut out = Vec::new();
    while let Some(done) = set.join_next().await {
        out.push(done.expect("invocation task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_are_answered_from_memory_while_a_refresh_is_in_flight() {
    let idp = Issuer::start().await;
    let f = Arc::new(authorizer_for(&idp, &[("AWS_LAMBDA_MAX_CONCURRENCY", "8")]).await);
    let rotated = TestKey::es256();
    idp.server
        .set_keys(vec![idp.key.jwk("es"), rotated.jwk("rotated")]);
    idp.server.set_mode(Mode::Slow(Duration::from_millis(1000)));
    let new_kid = connect(&rotated.token(Some("rotated"), &claims(&idp.iss())));
    let first = {
        let (f, event) = (f.clone(), new_kid.clone());
        tokio::spawn(async move { timed(&f, &event).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    // That invocation now waits for the slow refresh; the other workers keep answering.
    let forged = || connect(&TestKey::es256().token(Some("es"), &claims(&idp.iss())));
    let events = (0..60)
        .map(|i| if i % 3 == 0 { forged() } else { valid(&idp) })
        .collect();
    for (i, answer, took) in concurrently(&f, events).await {
        assert_eq!(answer["isAuthorized"], i % 3 != 0, "{i}: {answer}");
        assert!(took < Duration::from_millis(800), "{i} waited {took:?}");
    }
    let (answer, took) = first.await.expect("task");
    assert_eq!(
        answer["isAuthorized"], true,
        "the rotated key after the refresh"
    );
    assert!(
        took >= Duration::from_millis(800),
        "it did wait for the refresh"
    );
    // Mixed load afterwards: every answer right, no further fetch.
    let events = (0..120)
        .map(|i| match i % 3 {
            0 => valid(&idp),
            1 => new_kid.clone(),
            _ => forged(),
        })
        .collect();
    for (i, answer, _) in concurrently(&f, events).await {
        assert_eq!(answer["isAuthorized"], i % 3 != 2, "{i}: {answer}");
    }
    assert_eq!(idp.server.hits(), 2, "init + one refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_on_an_empty_cache_share_one_fetch() {
    let idp = Issuer::start().await;
    idp.server.set_mode(Mode::Status(503));
    let f = Arc::new(authorizer_for(&idp, &[("AWS_LAMBDA_MAX_CONCURRENCY", "8")]).await);
    idp.server.set_mode(Mode::Slow(Duration::from_millis(500)));
    tokio::time::sleep(JWKS_BACKOFF).await;
    let events = (0..100).map(|_| valid(&idp)).collect();
    for (i, answer, _) in concurrently(&f, events).await {
        assert_eq!(answer["isAuthorized"], true, "{i}: {answer}");
    }
    assert_eq!(
        idp.server.hits(),
        2,
        "the failed init fetch + one shared fetch"
    );
}

/// Every call reached the fake correctly signed (checked by its verifier) for `region`.
fn assert_signed_for(fake: &AwsFake, region: &str) {
    let regions = fake.verified_regions();
    assert!(
        !regions.is_empty() && regions.iter().all(|r| r == region),
        "signed for {regions:?}, refusals {:?}",
        fake.refusals()
    );
}

/// Starts the authorizer with `aws` (the fake's variables) plus `extra`.
async fn start_with(aws: &[(&'static str, String)], extra: &[(&str, &str)]) -> LambdaProcess {
    let mut vars: Vec<(&str, &str)> = aws.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend_from_slice(extra);
    LambdaProcess::start(&binary("authorizer"), &vars).await
}

async fn secret_process(fake: &AwsFake, iss: &str, source: (&str, &str)) -> LambdaProcess {
    start_with(&fake.env(), &[("JWT_ISSUER", iss), source]).await
}

/// A secret store that fails at init: deny fast with `secret_unavailable` and a clear log
/// line, deny fast again when a request retries it, then heal.
async fn secret_fault_denies_fast_then_heals(source: (&str, &str), fault: Option<AwsMode>) {
    let fake = AwsFake::start(SECRET).await;
    match &fault {
        Some(mode) => fake.set_mode(mode.clone()),
        None => fake.close().await,
    }
    let iss = "https://hs.example.test/auth/v1";
    let mut f = secret_process(&fake, iss, source).await;
    let token = connect(&TestKey::hs256(SECRET).token(None, &claims(iss)));
    let what = format!("{source:?} {fault:?}");
    assert_fast_deny(&mut f, &token, "secret_unavailable", &what).await;
    let logs = f.logs().join("\n");
    assert!(
        logs.contains("shared secret unavailable; will retry") && logs.contains(source.1),
        "{what}: a clear error naming the secret:\n{logs}"
    );
    tokio::time::sleep(SECRET_RETRY).await;
    assert_fast_deny(&mut f, &token, "secret_unavailable", &what).await;
    match fault {
        Some(_) => fake.set_mode(AwsMode::Healthy),
        None => fake.reopen().await,
    }
    tokio::time::sleep(SECRET_RETRY).await;
    assert_allowed(&f, &token, &format!("{what}, healed")).await;
    assert!(
        !fake.verified_regions().is_empty() && fake.refusals().is_empty(),
        "signed correctly, with the session token: {:?}",
        fake.refusals()
    );
}

#[tokio::test]
async fn secrets_manager_answering_500_denies_fast_then_heals() {
    let fault = Some(AwsMode::Status(500));
    secret_fault_denies_fast_then_heals(("JWT_SECRET_ARN", ARN), fault).await;
}

#[tokio::test]
async fn secrets_manager_answering_after_20_seconds_is_cut_off_then_heals() {
    let fault = Some(AwsMode::Slow(Duration::from_secs(20)));
    secret_fault_denies_fast_then_heals(("JWT_SECRET_ARN", ARN), fault).await;
}

#[tokio::test]
async fn unreachable_ssm_at_cold_start_denies_fast_then_heals() {
    secret_fault_denies_fast_then_heals(("JWT_SECRET_PARAMETER", "/jwt/secret"), None).await;
}

#[tokio::test]
async fn a_secret_store_that_is_up_serves_the_secret_once() {
    let fake = AwsFake::start(SECRET).await;
    let iss = "https://hs.example.test/auth/v1";
    let f = secret_process(&fake, iss, ("JWT_SECRET_PARAMETER", "/jwt/secret")).await;
    let token = connect(&TestKey::hs256(SECRET).token(None, &claims(iss)));
    for _ in 0..3 {
        assert_allowed(&f, &token, "ssm").await;
    }
    assert_eq!(fake.calls(), vec!["AmazonSSM.GetParameter".to_owned()]);
    assert_signed_for(&fake, "us-east-1");
}

// HTTPS trust: compiled-in public roots, plus EXTRA_CA_CERTS.

#[tokio::test]
async fn a_jwks_behind_a_private_ca_is_trusted_only_through_extra_ca_certs() {
    let key = TestKey::es256();
    let server = JwksServer::start(vec![key.jwk("es")]).await;
    let front = TlsFront::start(server.addr()).await;
    let iss = format!("{}/auth/v1", front.base());
    let jwks = format!("{}/jwks.json", front.base());
    let token = connect(&key.token(Some("es"), &claims(&iss)));
    let env = [
        ("JWT_ISSUER", iss.as_str()),
        ("JWT_JWKS_URL", jwks.as_str()),
    ];

    let mut untrusting = LambdaProcess::start(&binary("authorizer"), &env).await;
    assert_fast_deny(&mut untrusting, &token, "keys_unavailable", "private CA").await;
    let logs = untrusting.logs().join("\n");
    assert!(
        logs.contains("UnknownIssuer"),
        "the log says the certificate's issuer is not trusted:\n{logs}"
    );

    let ca = front.ca_path().to_str().expect("utf-8 path");
    let mut trusting_env = env.to_vec();
    trusting_env.push(("EXTRA_CA_CERTS", ca));
    let trusting = LambdaProcess::start(&binary("authorizer"), &trusting_env).await;
    assert_allowed(&trusting, &token, "private CA in EXTRA_CA_CERTS").await;
}

// The AWS calls themselves (aws-call, not the AWS SDK): region, credentials, signatures.

#[tokio::test]
async fn a_secret_arn_is_read_from_the_region_it_names() {
    let fake = AwsFake::start(SECRET).await;
    let iss = "https://hs.example.test/auth/v1";
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf";
    // The function runs in us-east-1 (the harness's AWS_REGION); the secret lives elsewhere.
    let f = secret_process(&fake, iss, ("JWT_SECRET_ARN", arn)).await;
    let token = connect(&TestKey::hs256(SECRET).token(None, &claims(iss)));
    assert_allowed(&f, &token, "cross-region secret").await;
    assert_signed_for(&fake, "eu-west-1");
}

#[tokio::test]
async fn container_credentials_are_used_when_the_environment_has_none() {
    let fake = AwsFake::start(SECRET).await;
    let iss = "https://hs.example.test/auth/v1";
    let source = [("JWT_ISSUER", iss), ("JWT_SECRET_PARAMETER", "/jwt/secret")];
    let f = start_with(&fake.container_env(), &source).await;
    let token = connect(&TestKey::hs256(SECRET).token(None, &claims(iss)));
    assert_allowed(&f, &token, "container credentials").await;
    assert_eq!(fake.credential_fetches(), 1);
    assert_signed_for(&fake, "us-east-1");
}

#[tokio::test]
async fn a_signature_aws_would_refuse_denies_and_logs_the_reason() {
    let fake = AwsFake::start(SECRET).await;
    let iss = "https://hs.example.test/auth/v1";
    let mut env = fake.env();
    for (name, value) in &mut env {
        if *name == "AWS_SECRET_ACCESS_KEY" {
            *value = "not-the-key-the-fake-expects/0123456789abcdefghijk".to_owned();
        }
    }
    let mut f = start_with(&env, &[("JWT_ISSUER", iss), ("JWT_SECRET_ARN", ARN)]).await;
    let token = connect(&TestKey::hs256(SECRET).token(None, &claims(iss)));
    assert_fast_deny(&mut f, &token, "secret_unavailable", "bad signature").await;
    assert!(
        !fake.refusals().is_empty(),
        "the fake's verifier refused it"
    );
    let logs = f.logs().join("\n");
    assert!(
        logs.contains("InvalidSignatureException") && logs.contains("HTTP 403"),
        "the AWS error code reaches the log:\n{logs}"
    );
}

#[tokio::test]
async fn no_credentials_stop_the_cold_start_naming_the_variable() {
    let iss = "https://hs.example.test/auth/v1";
    let vars = [("JWT_ISSUER", iss), ("JWT_SECRET_ARN", ARN)];
    let mut f = LambdaProcess::spawn(&binary("authorizer"), &vars).await;
    f.wait_exit(Duration::from_secs(10)).await;
    let logs = f.logs().join("\n");
    assert!(
        logs.contains("AWS_ACCESS_KEY_ID:") && logs.contains("export-credentials"),
        "a message naming the variable and the local fix:\n{logs}"
    );
}

#[tokio::test]
async fn the_configuration_document_is_read_from_ssm() {
    let iss = "https://hs.example.test/auth/v1";
    let document = json!({
        "issuers": [{"issuer": iss, "profile": "supabase", "secret": {"value": SECRET}}],
        "tokenPrefixes": ["Bearer "],
    })
    .to_string();
    let fake = AwsFake::start(&document).await;
    let parameter = [("AUTHORIZER_CONFIG_PARAMETER", "/authorizer/config")];
    let f = start_with(&fake.env(), &parameter).await;
    let jwt = TestKey::hs256(SECRET).token(None, &claims(iss));
    assert_allowed(&f, &connect(&format!("Bearer {jwt}")), "document from SSM").await;
    assert_eq!(fake.calls(), vec!["AmazonSSM.GetParameter".to_owned()]);
    assert_signed_for(&fake, "us-east-1");
}
