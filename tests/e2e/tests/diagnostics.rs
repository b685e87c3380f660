//! What an operator sees when something is wrong, through the real binaries: a key set
//! whose keys cannot be used is named at WARN with the reason (once per load) and denies
//! as `key_unusable`, not `unknown_kid`; text logs written to a pipe carry no ANSI colour
//! codes.

use std::time::Duration;

use serde_json::{Value, json};
use testkit::binaries::binary;
use testkit::events::{authorizer_for, connect, settle, user_claims as claims};
use testkit::idp::Issuer;
use testkit::logs::{lines_at, metric_lines, settled_metric_lines};
use testkit::runtime::LambdaProcess;

const ESC: char = '\u{1b}';

#[tokio::test]
async fn sign_only_keys_are_named_at_warn_and_deny_as_key_unusable() {
    let idp = Issuer::start_with(|mut jwk| {
        jwk["key_ops"] = json!(["sign"]);
        jwk
    })
    .await;
    let f = authorizer_for(&idp, &[]).await;
    for _ in 0..3 {
        let answer = f
            .invoke(&connect(&idp.token(&claims(&idp.iss()))))
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
    let idp = Issuer::start_with(|mut jwk| {
        jwk["use"] = json!("enc");
        jwk
    })
    .await;
    let f = authorizer_for(
        &idp,
        &[
            ("AWS_LAMBDA_LOG_FORMAT", "Text"),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ],
    )
    .await;
    f.invoke(&connect(&idp.token(&claims(&idp.iss()))))
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

#[tokio::test]
async fn authorizer_metrics_are_emf_lines_with_bounded_dimensions() {
    let idp = Issuer::start().await;
    let iss = idp.iss();
    let f = authorizer_for(
        &idp,
        &[
            ("METRICS_ENABLED", "true"),
            ("METRICS_NAMESPACE", "E2E/Authorizer"),
            ("AWS_LAMBDA_FUNCTION_NAME", "e2e-authorizer"),
        ],
    )
    .await;
    let token = idp.token(&claims(&iss));
    let mut expired = claims(&iss);
    expired["exp"] = json!(testkit::idp::now() - 3600);
    for event in [
        connect(&token),
        connect(&token),
        connect(&idp.token(&expired)),
    ] {
        f.invoke(&event).await.expect_response();
    }
    let lines = settled_metric_lines(&f, 3).await;
    assert_eq!(lines.len(), 3, "one line per invocation: {lines:#?}");
    let directive = |dims: Value, name: &str| json!({"Namespace": "E2E/Authorizer", "Dimensions": [dims], "Metrics": [{"Name": name, "Unit": "Count"}]});
    // First: an allow, and the init prefetch's key-set fetch.
    assert_eq!(
        lines[0]["_aws"]["CloudWatchMetrics"],
        json!([
            directive(json!(["FunctionName", "Operation", "Outcome"]), "Decisions"),
            directive(json!(["FunctionName"]), "KeySetFetches"),
        ]),
        "{}",
        lines[0]
    );
    assert_eq!(
        (
            &lines[0]["FunctionName"],
            &lines[0]["Operation"],
            &lines[0]["Outcome"],
            &lines[0]["Decisions"],
            &lines[0]["KeySetFetches"]
        ),
        (
            &json!("e2e-authorizer"),
            &json!("EVENT_CONNECT"),
            &json!("allow"),
            &json!(1),
            &json!(1)
        )
    );
    // Second: the same token, answered by the recent-token cache; no new fetch.
    assert_eq!(
        lines[1]["_aws"]["CloudWatchMetrics"],
        json!([
            directive(json!(["FunctionName", "Operation", "Outcome"]), "Decisions"),
            directive(json!(["FunctionName"]), "RecentTokenHits"),
        ])
    );
    assert_eq!(lines[1]["RecentTokenHits"], 1);
    // Third: a deny, counted by reason.
    assert_eq!(
        lines[2]["_aws"]["CloudWatchMetrics"],
        json!([
            directive(json!(["FunctionName", "Operation", "Outcome"]), "Decisions"),
            directive(json!(["FunctionName", "Reason"]), "Denials"),
        ])
    );
    assert_eq!(
        (
            &lines[2]["Outcome"],
            &lines[2]["Reason"],
            &lines[2]["Denials"]
        ),
        (&json!("deny"), &json!("expired"), &json!(1))
    );
    // Dimensions never carry the user, the channel or the token.
    let text = f.logs().join("\n");
    let metrics_text: String = lines.iter().map(Value::to_string).collect();
    assert!(!metrics_text.contains("user-1") && !metrics_text.contains(&token));
    assert!(!text.contains(&token), "no token in any log line");
}

#[tokio::test]
async fn key_set_failures_and_infrastructure_denials_are_counted() {
    let idp = Issuer::start().await;
    idp.server.set_mode(testkit::idp::Mode::Status(503));
    let f = authorizer_for(&idp, &[("METRICS_ENABLED", "true")]).await;
    f.invoke(&connect(&idp.token(&claims(&idp.iss()))))
        .await
        .expect_response();
    let lines = settled_metric_lines(&f, 1).await;
    let line = &lines[0];
    assert_eq!(line["Reason"], "keys_unavailable", "{line}");
    assert_eq!(line["InfrastructureDenials"], 1, "{line}");
    assert_eq!(line["KeySetFetches"], 1, "{line}");
    assert_eq!(line["KeySetFetchFailures"], 1, "{line}");
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "AppSyncJwtAuth"
    );
}

#[tokio::test]
async fn metrics_are_off_by_default() {
    let idp = Issuer::start().await;
    let f = authorizer_for(&idp, &[]).await;
    f.invoke(&connect(&idp.token(&claims(&idp.iss()))))
        .await
        .expect_response();
    settle(&f, "allowed").await;
    assert!(metric_lines(&f).is_empty());
}
