//! Everything the `authorizer` process prints at the most verbose level (TRACE, JSON and
//! text formats) across a broad scenario — valid tokens of both flavours, hostile tokens,
//! a shared secret from Secrets Manager or SSM that is first unavailable and then
//! recovers, a JWKS endpoint that fails at init and later resets connections — must not
//! contain any token, token segment or signature, the HS256 secret, or the AWS
//! credentials (secret key, session token, and the access key id too, whether from the
//! environment or a container credentials endpoint, and that endpoint's token).

use std::time::Duration;

use serde_json::{Value, json};
use testkit::aws_fake::{
    ACCESS_KEY_ID, AwsFake, AwsMode, CONTAINER_TOKEN, SECRET_ACCESS_KEY, SESSION_TOKEN,
};
use testkit::binaries::binary;
use testkit::events::{connect, graphql, user_claims as claims};
use testkit::idp::{JwksServer, Mode, TestKey, mint_raw, now};
use testkit::runtime::{LambdaProcess, Outcome};

const SECRET: &str = "log-test-hs256-secret-must-never-be-printed-0123456789";
const HS_ISS: &str = "https://hs.example.test/auth/v1";
const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbCdEf";

/// Sends every event; returns the tokens used (for the leak check).
async fn drive(f: &LambdaProcess, events: Vec<Value>) -> Vec<String> {
    let mut tokens = Vec::new();
    for event in events {
        if let Some(t) = event["authorizationToken"].as_str() {
            tokens.push(t.to_owned());
        }
        assert!(matches!(f.invoke(&event).await, Outcome::Response(_)));
    }
    tokens
}

/// Tokens, secrets and credentials that must not appear anywhere in `logs`.
fn assert_no_leaks(logs: &str, tokens: &[String]) {
    assert!(logs.contains("TRACE"), "the scenario ran at TRACE level");
    assert!(
        logs.contains("authorization decision"),
        "decisions were logged"
    );
    for (name, value) in [
        ("HS256 secret", SECRET),
        ("secret access key", SECRET_ACCESS_KEY),
        ("session token", SESSION_TOKEN),
        ("access key id", ACCESS_KEY_ID),
        ("container credentials token", CONTAINER_TOKEN),
    ] {
        assert!(!logs.contains(value), "{name} found in the logs");
    }
    for token in tokens {
        let material = token
            .trim_start_matches("Bearer ")
            .split('.')
            .filter(|s| s.len() >= 8); // shorter fragments could occur by chance
        for segment in material {
            assert!(
                !logs.contains(segment),
                "token material in the logs: {}…",
                &segment[..8]
            );
        }
    }
}

#[tokio::test]
async fn trace_json_logs_carry_no_token_secret_or_credential() {
    let key = TestKey::es256();
    let idp = JwksServer::start(vec![key.jwk("es")]).await;
    idp.set_mode(Mode::Status(500));
    let fake = AwsFake::start(SECRET).await;
    fake.set_mode(AwsMode::Status(500));
    let iss = format!("{}/auth/v1", idp.base());
    let config = json!({"issuers": [
        {"issuer": iss, "jwksUrl": idp.jwks_url()},
        {"issuer": HS_ISS, "secret": {"secretsManagerArn": ARN}},
    ], "tokenPrefixes": ["token:"]});
    let fake_env = fake.env();
    let mut env: Vec<(&str, &str)> = fake_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let config = config.to_string();
    env.push(("AUTHORIZER_CONFIG", &config));
    let f = LambdaProcess::start(&binary("authorizer"), &env).await;

    let valid = key.token(Some("es"), &claims(&iss));
    let hs = TestKey::hs256(SECRET).token(None, &claims(HS_ISS));
    // Both dependencies down: keys and secret unavailable.
    let mut tokens = drive(&f, vec![connect(&valid), connect(&hs)]).await;
    idp.set_mode(Mode::Healthy);
    fake.set_mode(AwsMode::Healthy);
    tokio::time::sleep(Duration::from_millis(5100)).await;
    tokens.extend(drive(&f, vec![connect(&valid)]).await);
    // The JWKS endpoint starts resetting connections; a new kid forces a failing refresh.
    idp.set_mode(Mode::Reset);
    let rotated = TestKey::es256().token(Some("rotated"), &claims(&iss));
    tokens.extend(drive(&f, vec![connect(&rotated), connect(&valid)]).await);
    let attacker = TestKey::es256();
    let mut duplicated = claims(&iss).to_string();
    duplicated.insert_str(1, r#""role":"service_role","#);
    let hostile = vec![
        connect(&valid),
        connect(&format!("Bearer {valid}")),
        connect(&format!("token:{hs}")),
        graphql(&valid),
        connect(&attacker.token(Some("es"), &claims(&iss))),
        connect(&attacker.token(Some("unknown"), &claims(&iss))),
        connect(
            &TestKey::hs256("a-different-secret-of-enough-length-012345")
                .token(None, &claims(HS_ISS)),
        ),
        connect(&mint_raw(
            br#"{"alg":"ES256","kid":"es"}"#,
            duplicated.as_bytes(),
            |m| key.sign(m),
        )),
        connect(&key.token(
            Some("es"),
            &json!({"iss": iss, "sub": "u", "exp": now() - 999}),
        )),
        connect(&format!(
            "{}.{}.",
            testkit::idp::b64(r#"{"alg":"none"}"#),
            testkit::idp::b64(claims(&iss).to_string())
        )),
        connect(&format!("{valid}{}", "A".repeat(5000))),
    ];
    tokens.extend(drive(&f, hostile).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = f.logs().join("\n");
    assert!(
        logs.contains("shared secret loaded"),
        "the secret-backed path ran"
    );
    assert!(
        logs.contains("Connection reset by peer"),
        "the failing refresh ran"
    );
    assert_no_leaks(&logs, &tokens);
}

#[tokio::test]
async fn trace_text_logs_with_an_ssm_secret_carry_no_token_secret_or_credential() {
    let fake = AwsFake::start(SECRET).await;
    fake.close().await;
    // Credentials from a container endpoint this time (the JSON test uses the environment).
    let fake_env = fake.container_env();
    let mut env: Vec<(&str, &str)> = fake_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend([
        ("AWS_LAMBDA_LOG_FORMAT", "Text"),
        ("JWT_ISSUER", HS_ISS),
        ("JWT_SECRET_PARAMETER", "/authorizer/jwt-secret"),
    ]);
    let f = LambdaProcess::start(&binary("authorizer"), &env).await;
    let hs = TestKey::hs256(SECRET).token(None, &claims(HS_ISS));
    let mut tokens = drive(&f, vec![connect(&hs)]).await;
    fake.reopen().await;
    tokio::time::sleep(Duration::from_millis(5100)).await;
    let forged =
        TestKey::hs256("not-the-secret-but-long-enough-0123456789ab").token(None, &claims(HS_ISS));
    tokens.extend(drive(&f, vec![connect(&hs), graphql(&hs), connect(&forged)]).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = f.logs().join("\n");
    assert!(
        logs.contains("shared secret loaded"),
        "the SSM path ran:\n{logs}"
    );
    assert_no_leaks(&logs, &tokens);
}
