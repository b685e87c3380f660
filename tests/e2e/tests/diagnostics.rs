//! What an operator sees when something is wrong, through the real binaries: a key set
//! whose keys cannot be used is named at WARN with the reason (once per load) and denies
//! as `key_unusable`, not `unknown_kid`; text logs written to a pipe carry no ANSI colour
//! codes.

use std::time::Duration;

use e2e::binaries::binary;
use e2e::events::{connect, last_reason, user_claims as claims};
use e2e::idp::{JwksServer, TestKey};
use e2e::runtime::LambdaProcess;
use serde_json::{Value, json};

const ESC: char = '\u{1b}';

fn with(mut key: Value, member: &str, value: Value) -> Value {
    key[member] = value;
    key
}

/// The JSON log lines at `level`.
fn lines_at(f: &LambdaProcess, level: &str) -> Vec<Value> {
    f.logs()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["level"] == level)
        .collect()
}

async fn settle(f: &LambdaProcess, reason: &str) {
    for _ in 0..100 {
        if last_reason(f) == reason {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "no decision logged as {reason}\nlogs:\n{}",
        f.logs().join("\n")
    );
}

#[tokio::test]
async fn sign_only_keys_are_named_at_warn_and_deny_as_key_unusable() {
    let key = TestKey::es256();
    let server = JwksServer::start(vec![with(key.jwk("es"), "key_ops", json!(["sign"]))]).await;
    let iss = format!("{}/auth/v1", server.base());
    let jwks = server.jwks_url();
    let f = LambdaProcess::start(
        &binary("authorizer"),
        &[("JWT_ISSUER", &iss), ("JWT_JWKS_URL", &jwks)],
    )
    .await;
    for _ in 0..3 {
        let answer = f
            .invoke(&connect(&key.token(Some("es"), &claims(&iss))))
            .await
            .expect_response();
        assert_eq!(answer, json!({"isAuthorized": false, "ttlOverride": 0}));
        settle(&f, "key_unusable").await;
    }
    let warnings: Vec<Value> = lines_at(&f, "WARN")
        .into_iter()
        .filter(|w| {
            w["fields"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("usable")
        })
        .collect();
    assert_eq!(warnings.len(), 1, "one WARN per load: {warnings:#?}");
    let skipped = warnings[0]["fields"]["skipped"].as_str().unwrap_or("");
    assert!(
        skipped.contains(r#"kid "es""#)
            && skipped.contains(r#""key_ops" does not contain "verify""#),
        "{}",
        warnings[0]
    );
}

#[tokio::test]
async fn text_logs_to_a_pipe_carry_no_colour_codes() {
    let key = TestKey::es256();
    let server = JwksServer::start(vec![with(key.jwk("es"), "use", json!("enc"))]).await;
    let iss = format!("{}/auth/v1", server.base());
    let jwks = server.jwks_url();
    let f = LambdaProcess::start(
        &binary("authorizer"),
        &[
            ("JWT_ISSUER", &iss),
            ("JWT_JWKS_URL", &jwks),
            ("AWS_LAMBDA_LOG_FORMAT", "Text"),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ],
    )
    .await;
    f.invoke(&connect(&key.token(Some("es"), &claims(&iss))))
        .await
        .expect_response();
    let mut logs = Vec::new();
    for _ in 0..100 {
        logs = f.logs();
        if logs.iter().any(|l| l.contains("authorization decision")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        logs.iter()
            .any(|l| l.contains("WARN") && l.contains("no usable key")),
        "{logs:#?}"
    );
    assert!(
        logs.iter().any(|l| l.contains("reason=\"key_unusable\"")),
        "{logs:#?}"
    );
    assert!(logs.iter().all(|l| !l.contains(ESC)), "{logs:#?}");

    // The publisher too: its init error (no endpoint configured) in text.
    let mut publisher =
        LambdaProcess::spawn(&binary("publisher"), &[("AWS_LAMBDA_LOG_FORMAT", "Text")]).await;
    publisher.wait_exit(Duration::from_secs(10)).await;
    let logs = publisher.logs();
    assert!(logs.iter().any(|l| l.contains("ERROR")), "{logs:#?}");
    assert!(logs.iter().all(|l| !l.contains(ESC)), "{logs:#?}");
}
