//! The real `authorizer` binary under the Lambda Runtime API, against a loopback JWKS.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::binaries::binary;
use testkit::events::{connect, last_reason, subscribe, user_claims as claims};
use testkit::idp::{JwksServer, Mode, TestKey, b64, mint_raw, now};
use testkit::runtime::{LambdaProcess, Outcome};

const SECRET: &str = "test-only-hs256-secret-that-is-long-enough-0123456789";

struct Fixture {
    idp: JwksServer,
    es: TestKey,
    rs: TestKey,
    ed: TestKey,
}

impl Fixture {
    async fn new() -> Self {
        let (es, rs, ed) = (TestKey::es256(), TestKey::rs256(), TestKey::eddsa());
        let idp = JwksServer::start(vec![es.jwk("es"), rs.jwk("rs"), ed.jwk("ed")]).await;
        Self { idp, es, rs, ed }
    }

    fn iss(&self) -> String {
        format!("{}/auth/v1", self.idp.base())
    }

    async fn start(&self, extra: &[(&str, &str)]) -> LambdaProcess {
        let iss = self.iss();
        let jwks = self.idp.jwks_url();
        let mut env = vec![
            ("JWT_ISSUER", iss.as_str()),
            ("JWT_JWKS_URL", jwks.as_str()),
        ];
        env.extend_from_slice(extra);
        LambdaProcess::start(&binary("authorizer"), &env).await
    }
}

async fn answer(f: &LambdaProcess, event: &Value) -> Value {
    match f.invoke(event).await {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("authorizer returned an invocation error: {e}"),
    }
}

async fn assert_denied(f: &LambdaProcess, event: &Value, reason: &str) {
    let answer = answer(f, event).await;
    assert_eq!(
        answer,
        json!({"isAuthorized": false, "ttlOverride": 0}),
        "expected deny {reason}"
    );
    assert_eq!(last_reason(f), reason);
}

#[tokio::test]
async fn es256_rs256_and_eddsa_tokens_are_allowed_with_handler_context() {
    let fx = Fixture::new().await;
    let f = fx.start(&[]).await;
    for (key, kid) in [(&fx.es, "es"), (&fx.rs, "rs"), (&fx.ed, "ed")] {
        let token = key.token(Some(kid), &claims(&fx.iss()));
        let a = answer(&f, &connect(&token)).await;
        assert_eq!(a["isAuthorized"], true, "{kid}: {a}");
        assert_eq!(a["handlerContext"]["sub"], "user-1");
        assert_eq!(a["handlerContext"]["iss"], fx.iss().as_str());
        assert_eq!(a["handlerContext"]["role"], "authenticated");
        assert_eq!(a["handlerContext"]["is_anonymous"], "false");
        assert_eq!(a["ttlOverride"], 300);
    }
    assert_eq!(
        fx.idp.hits(),
        1,
        "keys fetched once at init, then served from memory"
    );
}

#[tokio::test]
async fn hs256_tokens_verify_with_the_shared_secret_only() {
    let fx = Fixture::new().await;
    let iss = fx.iss();
    let f = LambdaProcess::start(
        &binary("authorizer"),
        &[("JWT_ISSUER", &iss), ("JWT_SECRET", SECRET)],
    )
    .await;
    let token = TestKey::hs256(SECRET).token(None, &claims(&iss));
    assert_eq!(answer(&f, &connect(&token)).await["isAuthorized"], true);
    // An asymmetric token for the same issuer is refused: HS and key sets never mix.
    let es = fx.es.token(Some("es"), &claims(&iss));
    assert_denied(&f, &connect(&es), "alg_not_allowed").await;
    assert_eq!(fx.idp.hits(), 0, "an HS256 issuer never fetches a key set");
    let logs = f.logs().join("\n");
    assert!(!logs.contains(SECRET), "the secret must never be logged");
}

#[tokio::test]
async fn graphql_requests_get_a_resolver_context() {
    let fx = Fixture::new().await;
    let f = fx.start(&[]).await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    let event = json!({"authorizationToken": token,
        "requestContext": {"apiId": "a", "accountId": "1", "requestId": "r", "queryString": "query { me }", "operationName": "Me", "variables": {}}});
    let a = answer(&f, &event).await;
    assert_eq!(a["isAuthorized"], true);
    assert_eq!(a["resolverContext"]["sub"], "user-1");
    assert!(
        a.get("deniedFields").is_none(),
        "absent optional fields are omitted: {a}"
    );
    assert!(a.get("handlerContext").is_none());
}

#[tokio::test]
async fn wrapped_tokens_are_unwrapped() {
    let fx = Fixture::new().await;
    let f = fx
        .start(&[
            ("TOKEN_PREFIXES", "supabase:,Token "),
            ("TOKEN_SUFFIXES", ".wrapped"),
        ])
        .await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    for wrapped in [
        format!("supabase:{token}"),
        format!("Token {token}"),
        format!("Bearer {token}"),
        format!("bearer {token}.wrapped"),
    ] {
        assert_eq!(
            answer(&f, &connect(&wrapped)).await["isAuthorized"],
            true,
            "{}",
            &wrapped[..12]
        );
    }
    assert_denied(&f, &connect(&format!("other:{token}")), "token_malformed").await;
}

#[tokio::test]
async fn allow_is_never_cached_past_the_token_expiry() {
    let fx = Fixture::new().await;
    let f = fx.start(&[("AUTH_CACHE_TTL_SECONDS", "3600")]).await;
    let mut c = claims(&fx.iss());
    c["exp"] = json!(now() + 42);
    let a = answer(&f, &connect(&fx.es.token(Some("es"), &c))).await;
    let ttl = a["ttlOverride"].as_u64().expect("ttl");
    assert!((40..=42).contains(&ttl), "ttl {ttl} must be bounded by exp");
}

#[tokio::test]
async fn hostile_tokens_are_denied_with_precise_reasons() {
    let fx = Fixture::new().await;
    let f = fx.start(&[]).await;
    let iss = fx.iss();
    let good = claims(&iss);
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = good.clone();
        c.as_object_mut().expect("object").remove(k);
        c
    };
    let attacker = TestKey::es256();
    let rsa_public_jwk = fx.rs.jwk("rs");
    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(good.to_string())), "token_malformed"),
        ("alg none with signature", format!("{}.{}.AAAA", b64(r#"{"alg":"none","kid":"es"}"#), b64(good.to_string())), "alg_not_allowed"),
        (
            "HS256 keyed with the RSA public key",
            mint_raw(json!({"alg":"HS256","kid":"rs"}).to_string().as_bytes(), good.to_string().as_bytes(), |m| {
                TestKey::Hs256(rsa_public_jwk.to_string().into_bytes()).sign(m)
            }),
            "alg_not_allowed",
        ),
        ("right kid, wrong key", attacker.token(Some("es"), &good), "bad_signature"),
        ("unknown kid", attacker.token(Some("nope"), &good), "unknown_kid"),
        ("kid of another key type", fx.es.token(Some("rs"), &good), "alg_not_allowed"),
        ("no kid with several keys", fx.es.token(None, &good), "kid_missing"),
        ("expired", fx.es.token(Some("es"), &with("exp", json!(now() - 120))), "expired"),
        ("future nbf", fx.es.token(Some("es"), &with("nbf", json!(now() + 600))), "not_yet_valid"),
        ("future iat", fx.es.token(Some("es"), &with("iat", json!(now() + 600))), "issued_in_future"),
        ("wrong iss", fx.es.token(Some("es"), &with("iss", json!("https://evil.example.com/auth/v1"))), "unknown_issuer"),
        ("wrong aud", fx.es.token(Some("es"), &with("aud", json!("service"))), "audience_mismatch"),
        ("missing exp", fx.es.token(Some("es"), &without("exp")), "exp_missing"),
        ("exp as a string", fx.es.token(Some("es"), &with("exp", json!((now() + 600).to_string()))), "claim_invalid"),
        ("missing sub", fx.es.token(Some("es"), &without("sub")), "sub_missing"),
        (
            "jwk header carrying the attacker's key",
            attacker.mint(&json!({"alg":"ES256","kid":"attacker","jwk": attacker.jwk("attacker")}), &good),
            "unknown_kid",
        ),
        (
            "jku and x5u pointing elsewhere",
            attacker.mint(&json!({"alg":"ES256","kid":"es","jku":"http://127.0.0.1:1/jwks","x5u":"http://127.0.0.1:1/x"}), &good),
            "bad_signature",
        ),
        ("crit", fx.es.mint(&json!({"alg":"ES256","kid":"es","crit":["b64"],"b64":false}), &good), "crit_unsupported"),
        ("oversize", format!("{}{}", fx.es.token(Some("es"), &good), "A".repeat(5000)), "token_too_long"),
        ("two segments", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0".to_owned(), "token_malformed"),
        ("padding", format!("{}=", fx.es.token(Some("es"), &good)), "token_malformed"),
        ("header not JSON", format!("{}.{}.{}", b64("not json"), b64(good.to_string()), b64("sig")), "header_invalid"),
        ("payload not an object", fx.es.mint(&json!({"alg":"ES256","kid":"es"}), &json!([1, 2])), "payload_invalid"),
        ("supabase anon key", fx.es.token(Some("es"), &with("role", json!("anon"))), "profile_rejected"),
        ("supabase service_role key", fx.es.token(Some("es"), &with("role", json!("service_role"))), "profile_rejected"),
        (
            "supabase project API key (iss supabase)",
            TestKey::hs256(SECRET).token(None, &json!({"iss":"supabase","ref":"abcd","role":"anon","iat":now(),"exp":now()+3600})),
            "unknown_issuer",
        ),
        ("empty", String::new(), "token_missing"),
    ];
    for (name, token, reason) in cases {
        let a = answer(&f, &connect(&token)).await;
        assert_eq!(
            a,
            json!({"isAuthorized": false, "ttlOverride": 0}),
            "{name}"
        );
        assert_eq!(last_reason(&f), reason, "{name}");
    }
    let mut f = f;
    assert!(f.is_running(), "hostile tokens never crash the process");
}

#[tokio::test]
async fn events_that_cannot_be_understood_are_denied_not_errors() {
    let fx = Fixture::new().await;
    let f = fx.start(&[]).await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    assert_denied(&f, &json!([1, 2, 3]), "bad_request").await;
    assert_denied(&f, &json!({"hello": "world"}), "bad_request").await;
    assert_denied(
        &f,
        &json!({"requestContext": {"operation": "EVENT_CONNECT"}}),
        "token_missing",
    )
    .await;
    let mut unknown = connect(&token);
    unknown["requestContext"]["operation"] = json!("EVENT_DELETE");
    assert_denied(&f, &unknown, "unknown_operation").await;
    assert_denied(&f, &subscribe(&token, "/default/a b"), "channel_invalid").await;
    let mut no_channel = subscribe(&token, "/default/x");
    no_channel["requestContext"]["channel"] = Value::Null;
    assert_denied(&f, &no_channel, "channel_invalid").await;
    // Without channel rules, a valid token may subscribe anywhere valid, wildcards included.
    assert_eq!(
        answer(&f, &subscribe(&token, "/default/*")).await["isAuthorized"],
        true
    );
}

#[tokio::test]
async fn a_key_added_after_start_is_accepted() {
    let fx = Fixture::new().await;
    let f = fx.start(&[]).await;
    let rotated = TestKey::es256();
    fx.idp
        .set_keys(vec![fx.es.jwk("es"), rotated.jwk("rotated")]);
    let a = answer(
        &f,
        &connect(&rotated.token(Some("rotated"), &claims(&fx.iss()))),
    )
    .await;
    assert_eq!(a["isAuthorized"], true, "{a}");
    assert_eq!(fx.idp.hits(), 2, "one refetch for the new kid");
}

#[tokio::test]
async fn unreachable_jwks_at_cold_start_denies_fast_then_recovers() {
    let fx = Fixture::new().await;
    fx.idp.set_mode(Mode::Status(503));
    let f = fx.start(&[]).await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    let started = Instant::now();
    assert_denied(&f, &connect(&token), "keys_unavailable").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "deny within a bounded time"
    );
    fx.idp.set_mode(Mode::Healthy);
    tokio::time::sleep(Duration::from_millis(2100)).await; // the failure backoff
    assert_eq!(
        answer(&f, &connect(&token)).await["isAuthorized"],
        true,
        "recovers by itself"
    );
}

#[tokio::test]
async fn oidc_discovery_finds_the_key_set_and_checks_the_issuer() {
    let fx = Fixture::new().await;
    let iss = fx.idp.base().to_owned();
    let f = LambdaProcess::start(
        &binary("authorizer"),
        &[
            ("JWT_ISSUER", &iss),
            ("JWT_PROFILE", "oidc"),
            ("JWT_AUDIENCE", "api://default"),
        ],
    )
    .await;
    let mut c = claims(&iss);
    c["aud"] = json!(["api://default", "https://x/userinfo"]);
    assert_eq!(
        answer(&f, &connect(&fx.rs.token(Some("rs"), &c))).await["isAuthorized"],
        true
    );
}

#[tokio::test]
async fn bad_configuration_stops_the_cold_start_naming_the_variable() {
    for (env, variable) in [
        (
            vec![
                ("JWT_ISSUER", "https://x.example.com"),
                ("JWT_JWKS_URL", "http://example.com/jwks"),
            ],
            "JWT_JWKS_URL",
        ),
        (
            vec![
                ("JWT_ISSUER", "https://x.example.com"),
                ("JWT_PROFILE", "oidc"),
            ],
            "JWT_AUDIENCE",
        ),
        (
            vec![
                ("JWT_ISSUER", "https://x.example.com"),
                ("JWT_ALGORITHMS", "ES256,HS256"),
            ],
            "JWT_ALGORITHMS",
        ),
        (vec![("JWT_PROFILE", "supabase")], "JWT_ISSUER"),
        (
            vec![
                ("JWT_ISSUER", "https://x.example.com"),
                ("AUTH_CACHE_TTL_SECONDS", "7200"),
            ],
            "AUTH_CACHE_TTL_SECONDS",
        ),
        (
            vec![
                ("JWT_ISSUER", "https://x.example.com"),
                ("EXTRA_CA_CERTS", "/nonexistent/ca.pem"),
            ],
            "EXTRA_CA_CERTS",
        ),
        (
            vec![
                ("JWT_ISSUER", "https://x.example.com"),
                // A file that exists but holds no PEM certificate.
                ("EXTRA_CA_CERTS", env!("CARGO_MANIFEST_PATH")),
            ],
            "EXTRA_CA_CERTS",
        ),
    ] {
        let mut f = LambdaProcess::spawn(&binary("authorizer"), &env).await;
        f.wait_exit(Duration::from_secs(10)).await;
        let logs = f.logs().join("\n");
        assert!(
            logs.contains(&format!("{variable}:")),
            "{variable} not named in:\n{logs}"
        );
    }
}

#[tokio::test]
async fn logs_never_carry_tokens_or_signatures() {
    let fx = Fixture::new().await;
    let f = fx.start(&[]).await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    let bad = TestKey::es256().token(Some("es"), &claims(&fx.iss()));
    answer(&f, &connect(&token)).await;
    answer(&f, &connect(&bad)).await;
    let logs = f.logs().join("\n");
    for t in [&token, &bad] {
        let signature = t.rsplit('.').next().expect("signature");
        assert!(
            !logs.contains(t.as_str()) && !logs.contains(signature),
            "token material in logs"
        );
        let payload = t.split('.').nth(1).expect("payload");
        assert!(!logs.contains(payload), "token payload in logs");
    }
}

#[tokio::test]
async fn a_fetched_key_set_serves_for_a_bounded_window_while_refreshes_fail() {
    let fx = Fixture::new().await;
    let f = fx
        .start(&[
            ("JWKS_MAX_AGE_SECONDS", "1"),
            ("JWKS_STALE_IF_ERROR_SECONDS", "3"),
        ])
        .await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    assert_eq!(answer(&f, &connect(&token)).await["isAuthorized"], true);
    fx.idp.set_mode(Mode::Status(500));
    tokio::time::sleep(Duration::from_millis(1500)).await; // past max age, inside the window
    let stale = answer(&f, &connect(&token)).await;
    assert_eq!(
        stale["isAuthorized"], true,
        "the last good set still serves: {stale}"
    );
    tokio::time::sleep(Duration::from_millis(3000)).await; // past max age + window
    assert_denied(&f, &connect(&token), "keys_unavailable").await;
    fx.idp.set_mode(Mode::Healthy);
    tokio::time::sleep(Duration::from_millis(2100)).await; // the failure backoff
    assert_eq!(
        answer(&f, &connect(&token)).await["isAuthorized"],
        true,
        "recovers by itself"
    );
}

/// `recent_token` of every decision logged so far, oldest first.
fn recent_flags(f: &LambdaProcess) -> Vec<bool> {
    f.logs()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["reason"].is_string())
        .map(|v| v["fields"]["recent_token"] == true)
        .collect()
}

#[tokio::test]
async fn a_repeated_token_is_answered_from_the_recent_token_cache_but_still_expires() {
    let fx = Fixture::new().await;
    let f = fx.start(&[("JWT_LEEWAY_SECONDS", "0")]).await;
    let mut c = claims(&fx.iss());
    let exp = now() + 3;
    c["exp"] = json!(exp);
    let token = fx.es.token(Some("es"), &c);
    assert_eq!(answer(&f, &connect(&token)).await["isAuthorized"], true);
    let again = answer(&f, &subscribe(&token, "/default/room")).await;
    assert_eq!(again["isAuthorized"], true, "{again}");
    assert_eq!(again["handlerContext"]["sub"], "user-1");
    assert!(
        again["ttlOverride"].as_u64().is_some_and(|t| t <= 3),
        "never cached past exp: {again}"
    );
    assert_eq!(
        recent_flags(&f),
        [false, true],
        "verified once, then remembered"
    );
    while now() < exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_denied(&f, &subscribe(&token, "/default/room"), "expired").await;
}

#[tokio::test]
async fn a_withdrawn_key_stops_a_remembered_token() {
    let fx = Fixture::new().await;
    let f = fx.start(&[("JWKS_MAX_AGE_SECONDS", "1")]).await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    assert_eq!(answer(&f, &connect(&token)).await["isAuthorized"], true);
    assert_eq!(answer(&f, &connect(&token)).await["isAuthorized"], true);
    fx.idp.set_keys(vec![fx.rs.jwk("rs"), fx.ed.jwk("ed")]); // "es" is revoked
    tokio::time::sleep(Duration::from_millis(1200)).await; // past the key set's max age
    assert_denied(&f, &connect(&token), "unknown_kid").await;
    assert_eq!(recent_flags(&f), [false, true, false]);
}

#[tokio::test]
async fn verified_token_cache_zero_turns_the_cache_off() {
    let fx = Fixture::new().await;
    let f = fx.start(&[("VERIFIED_TOKEN_CACHE", "0")]).await;
    let token = fx.es.token(Some("es"), &claims(&fx.iss()));
    for _ in 0..3 {
        assert_eq!(answer(&f, &connect(&token)).await["isAuthorized"], true);
    }
    assert_eq!(recent_flags(&f), [false, false, false]);
}
