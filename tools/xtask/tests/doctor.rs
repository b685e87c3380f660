//! `cargo xtask doctor` as a user runs it — the real binary, a token on stdin — against
//! loopback issuers, one test per failure it names, and the troubleshooting guide's command.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;
use testkit::binaries::workspace_root;
use testkit::events::user_claims as claims;
use testkit::idp::{Issuer, Mode, TestKey, now};

struct Run {
    code: i32,
    out: String,
}

impl Run {
    fn has(&self, verdict: &str, step: &str, text: &str) -> bool {
        self.out
            .lines()
            .any(|l| l.starts_with(verdict) && l.contains(&format!("{step}:")) && l.contains(text))
    }
    #[track_caller]
    fn expect(&self, verdict: &str, step: &str, text: &str) {
        assert!(
            self.has(verdict, step, text),
            "expected `{verdict} {step}: …{text}…` in:\n{}",
            self.out
        );
    }
}

/// Runs the doctor with only `vars` as configuration (no inherited environment).
fn doctor(vars: &[(&str, &str)], args: &[&str], token: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.arg("doctor").arg("--no-process-env").args(args);
    for (k, v) in vars {
        command.arg("--set").arg(format!("{k}={v}"));
    }
    if token.is_some() {
        command.arg("--token-stdin");
    }
    let mut child = command
        .current_dir(workspace_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xtask runs");
    if let Some(token) = token {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{token}\n").as_bytes())
            .expect("token written");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("xtask exits");
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    if let Some(token) = token {
        let signature = token.rsplit('.').next().unwrap_or(token);
        assert!(
            !out.contains(token) && !out.contains(signature),
            "the token is never printed:\n{out}"
        );
    }
    Run {
        code: output.status.code().unwrap_or(-1),
        out,
    }
}

/// The doctor, run with an issuer's variables.
trait Doctor {
    async fn doctor(&self, extra: &[(&str, &str)], args: &[&str], token: Option<String>) -> Run;
}

impl Doctor for Issuer {
    /// Runs the doctor on a blocking thread (the loopback server lives on this runtime).
    async fn doctor(&self, extra: &[(&str, &str)], args: &[&str], token: Option<String>) -> Run {
        let mut vars: Vec<(String, String)> = self
            .vars()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        for (k, v) in extra {
            vars.retain(|(name, _)| name != k);
            vars.push(((*k).to_owned(), (*v).to_owned()));
        }
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let vars: Vec<(&str, &str)> =
                vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            doctor(&vars, &args, token.as_deref())
        })
        .await
        .expect("doctor thread")
    }
}

#[tokio::test]
async fn a_healthy_configuration_and_token_pass_every_step() {
    let idp = Issuer::start().await;
    let run = idp
        .doctor(&[], &[], Some(idp.token(&claims(&idp.iss()))))
        .await;
    assert_eq!(run.code, 0, "{}", run.out);
    for (step, text) in [
        ("configuration", "1 issuer(s)"),
        ("key set", "1 usable key(s), 0 skipped"),
        ("key \"es\"", "usable, verifies ES256"),
        ("algorithms", "in common: ES256"),
        ("header", "alg ES256, kid \"es\""),
        ("signature", "verifies"),
        ("exp", "expires in "),
        ("profile rules", "supabase rules pass"),
        (
            "decision",
            "EVENT_CONNECT allowed by the authorizer (ttlOverride 300)",
        ),
    ] {
        run.expect("ok", step, text);
    }
}

#[tokio::test]
async fn sign_only_keys_are_named_with_the_fix() {
    let idp = Issuer::start().await;
    let mut jwk = idp.key.jwk("es");
    jwk["key_ops"] = json!(["sign"]);
    idp.server.set_keys(vec![jwk]);
    let run = idp
        .doctor(&[], &[], Some(idp.token(&claims(&idp.iss()))))
        .await;
    assert_eq!(run.code, 1);
    run.expect(
        "warn",
        "key \"es\"",
        r#"cannot be used: "key_ops" does not contain "verify""#,
    );
    assert!(
        run.out.contains("republish it with [\"verify\"]"),
        "{}",
        run.out
    );
    run.expect("FAIL", "key set", "no usable key");
    run.expect("FAIL", "key", "(key_unusable)");
    run.expect("FAIL", "decision", "denied by the authorizer: key_unusable");
}

#[tokio::test]
async fn an_unreachable_key_set_fails_with_the_fix() {
    let idp = Issuer::start().await;
    idp.server.close().await;
    let run = idp.doctor(&[], &[], None).await;
    assert_eq!(run.code, 1);
    run.expect("FAIL", "key set", "connection failed");
    assert!(run.out.contains("keys_unavailable"), "{}", run.out);
}

#[tokio::test]
async fn a_key_set_answering_an_error_fails() {
    let idp = Issuer::start().await;
    idp.server.set_mode(Mode::Status(503));
    let run = idp.doctor(&[], &[], None).await;
    assert_eq!(run.code, 1);
    run.expect("FAIL", "key set", "status 503");
}

#[tokio::test]
async fn discovery_declaring_another_issuer_fails() {
    let idp = Issuer::start().await;
    idp.server
        .set_discovery_issuer("https://elsewhere.example/");
    let iss = idp.server.base().to_owned();
    let run = idp
        .doctor(
            &[
                ("JWT_ISSUER", &iss),
                ("JWT_JWKS_URL", ""),
                ("JWT_PROFILE", "oidc"),
                ("JWT_AUDIENCE", "api"),
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(run.code, 1, "{}", run.out);
    run.expect(
        "FAIL",
        "discovery",
        "declares issuer \"https://elsewhere.example/\"",
    );
}

#[tokio::test]
async fn discovery_that_works_names_the_key_set() {
    let idp = Issuer::start().await;
    let iss = idp.server.base().to_owned();
    let run = idp
        .doctor(
            &[
                ("JWT_ISSUER", &iss),
                ("JWT_JWKS_URL", ""),
                ("JWT_PROFILE", "oidc"),
                ("JWT_AUDIENCE", "api"),
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.out);
    run.expect("ok", "discovery", "jwks_uri");
}

#[tokio::test]
async fn no_algorithm_in_common_fails() {
    let idp = Issuer::start().await;
    let run = idp.doctor(&[("JWT_ALGORITHMS", "RS256")], &[], None).await;
    assert_eq!(run.code, 1);
    run.expect("warn", "key \"es\"", "none is in the allow-list (RS256)");
    run.expect(
        "FAIL",
        "algorithms",
        "the key set verifies ES256, the configuration allows RS256",
    );
}

#[tokio::test]
async fn an_expired_token_says_how_long_ago() {
    let idp = Issuer::start().await;
    let mut expired = claims(&idp.iss());
    expired["exp"] = json!(now() - 600);
    let run = idp.doctor(&[], &[], Some(idp.token(&expired))).await;
    assert_eq!(run.code, 1);
    run.expect("FAIL", "exp", "expired 10 min");
    run.expect("FAIL", "registered claims", "(expired)");
    run.expect("FAIL", "decision", "denied by the authorizer: expired");
}

#[tokio::test]
async fn an_audience_mismatch_names_both_sides() {
    let idp = Issuer::start().await;
    let run = idp
        .doctor(
            &[("JWT_AUDIENCE", "other-api")],
            &[],
            Some(idp.token(&claims(&idp.iss()))),
        )
        .await;
    assert_eq!(run.code, 1);
    run.expect(
        "",
        "aud",
        r#"token "authenticated", accepted ["other-api"]"#,
    );
    run.expect("FAIL", "registered claims", "(audience_mismatch)");
}

#[tokio::test]
async fn an_unknown_issuer_names_the_configured_ones() {
    let idp = Issuer::start().await;
    let run = idp
        .doctor(
            &[],
            &[],
            Some(idp.token(&claims("https://other.example/auth/v1"))),
        )
        .await;
    assert_eq!(run.code, 1);
    run.expect(
        "FAIL",
        "iss",
        "\"https://other.example/auth/v1\" is not a configured issuer",
    );
}

#[tokio::test]
async fn an_unknown_kid_and_a_bad_signature_fail_at_their_steps() {
    let idp = Issuer::start().await;
    let stranger = TestKey::es256();
    let run = idp
        .doctor(
            &[],
            &[],
            Some(stranger.token(Some("nope"), &claims(&idp.iss()))),
        )
        .await;
    run.expect("FAIL", "key", "(unknown_kid)");
    let run = idp
        .doctor(
            &[],
            &[],
            Some(stranger.token(Some("es"), &claims(&idp.iss()))),
        )
        .await;
    run.expect("FAIL", "signature", "(bad_signature)");
}

#[tokio::test]
async fn a_profile_rule_failure_names_the_claims() {
    let idp = Issuer::start().await;
    let mut anon = claims(&idp.iss());
    anon["role"] = json!("anon");
    let run = idp.doctor(&[], &[], Some(idp.token(&anon))).await;
    assert_eq!(run.code, 1);
    run.expect("FAIL", "profile rules", "role=\"anon\"");
}

#[tokio::test]
async fn a_configuration_error_names_the_variable() {
    let run = tokio::task::spawn_blocking(|| {
        doctor(
            &[
                ("JWT_PROFILE", "auth0"),
                ("JWT_ISSUER", "https://x.example/"),
            ],
            &[],
            None,
        )
    })
    .await
    .expect("thread");
    assert_eq!(run.code, 1);
    run.expect(
        "FAIL",
        "configuration",
        "JWT_AUDIENCE: is required for the auth0 profile",
    );
}

#[tokio::test]
async fn the_prefix_is_checked_against_the_templates_expression() {
    let idp = Issuer::start().await;
    let token = idp.token(&claims(&idp.iss()));
    // The template's defaults: TokenPrefix "supabase:", so TOKEN_PREFIXES=supabase:.
    let args = [
        "--template",
        "template.yaml",
        "--parameter-overrides",
        "JwtIssuer=https://placeholder.example/auth/v1",
    ];
    let bare = idp.doctor(&[], &args, Some(token.clone())).await;
    bare.expect(
        "ok",
        "IdentityValidationExpression",
        r#"admits tokens wrapped as "supabase:""#,
    );
    bare.expect(
        "FAIL",
        "token vs IdentityValidationExpression",
        "AppSync refuses it",
    );
    let wrapped = idp
        .doctor(&[], &args, Some(format!("supabase:{token}")))
        .await;
    assert_eq!(wrapped.code, 0, "{}", wrapped.out);
    wrapped.expect("ok", "token vs IdentityValidationExpression", "matches");
    // An authorizer expecting another prefix than the template's expression.
    let mismatch = idp
        .doctor(&[("TOKEN_PREFIXES", "token:")], &args, None)
        .await;
    mismatch.expect(
        "FAIL",
        "IdentityValidationExpression",
        "refuses tokens wrapped as the authorizer expects",
    );
}

#[tokio::test]
async fn channel_rules_say_which_rule_an_operation_hits() {
    let idp = Issuer::start().await;
    let config = json!({
        "issuers": [{"issuer": idp.iss(), "jwksUrl": idp.server.jwks_url()}],
        "channelRules": [
            {"channel": "/default/public/*", "operations": ["subscribe"]},
            {"channel": "/default/users/{sub}/*", "operations": ["subscribe", "publish"]}
        ]
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("authorizer.json");
    std::fs::write(&path, config.to_string()).expect("write");
    let path = path.display().to_string();
    let token = idp.token(&claims(&idp.iss()));
    let run = |channel: &'static str| {
        let (path, token) = (path.clone(), token.clone());
        tokio::task::spawn_blocking(move || {
            doctor(
                &[],
                &[
                    "--config",
                    &path,
                    "--operation",
                    "subscribe",
                    "--channel",
                    channel,
                ],
                Some(&token),
            )
        })
    };
    let own = run("/default/users/user-1/inbox").await.expect("thread");
    assert_eq!(own.code, 0, "{}", own.out);
    own.expect(
        "",
        "channel rule [0]",
        "does not grant it (no_matching_rule)",
    );
    own.expect("", "channel rule [1]", "grants it");
    own.expect("ok", "channel rules", "rule [1] grants it");
    let other = run("/default/users/user-2/inbox").await.expect("thread");
    assert_eq!(other.code, 1);
    other.expect("FAIL", "channel rules", "no rule grants it");
    other.expect(
        "FAIL",
        "decision",
        "denied by the authorizer: no_matching_rule",
    );
}
