//! The client against a loopback JSON API: which answers are retried, and how long a call
//! may take. (Signatures are checked end to end in `tests/e2e`, by an independent verifier.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use aws_call::{Client, Error, Settings};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::json;

/// Serves `answers` in turn (the last one repeats); returns the URL and the call counter.
async fn serve(answers: Vec<(u16, String, Duration)>) -> (String, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let app = Router::new().route(
        "/",
        post(move || {
            let counter = counter.clone();
            let answers = answers.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst) as usize;
                let (status, body, delay) = answers[n.min(answers.len() - 1)].clone();
                tokio::time::sleep(delay).await;
                (StatusCode::from_u16(status).expect("status"), body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (url, calls)
}

fn client(url: &str) -> Client {
    let vars = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_ENDPOINT_URL", url),
    ];
    let settings = Settings::from_env(&|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("settings");
    Client::new(reqwest::Client::new(), settings)
}

fn parameter(value: &str) -> String {
    json!({"Parameter": {"Name": "p", "Value": value}}).to_string()
}

fn error(kind: &str) -> String {
    json!({"__type": kind, "message": "injected"}).to_string()
}

#[tokio::test]
async fn a_server_error_is_retried_once() {
    let (url, calls) = serve(vec![
        (500, error("InternalServerError"), Duration::ZERO),
        (200, parameter("v"), Duration::ZERO),
    ])
    .await;
    assert_eq!(client(&url).get_parameter("p").await, Ok("v".to_owned()));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn throttling_is_retried_but_only_once() {
    let (url, calls) = serve(vec![(400, error("ThrottlingException"), Duration::ZERO)]).await;
    let err = client(&url)
        .get_parameter("p")
        .await
        .expect_err("throttled");
    assert!(matches!(err, Error::Service { ref code, .. } if code == "ThrottlingException"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_client_error_is_not_retried_and_keeps_its_code() {
    let (url, calls) = serve(vec![(
        400,
        error("com.amazonaws.secretsmanager#AccessDeniedException"),
        Duration::ZERO,
    )])
    .await;
    let err = client(&url)
        .get_secret_value("arn:aws:secretsmanager:eu-west-1:1:secret:x")
        .await
        .expect_err("denied");
    assert_eq!(
        err.to_string(),
        "secretsmanager.GetSecretValue failed: AccessDeniedException: injected (HTTP 400)"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_stalled_server_costs_at_most_the_operation_timeout() {
    let (url, calls) = serve(vec![(200, parameter("v"), Duration::from_secs(20))]).await;
    let started = Instant::now();
    let err = client(&url).get_parameter("p").await.expect_err("stalled");
    let took = started.elapsed();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(took < Duration::from_millis(1700), "took {took:?}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the attempt timeout leaves room for a retry"
    );
}

#[tokio::test]
async fn a_secret_without_a_string_is_an_explained_error() {
    let binary = json!({"ARN": "x", "SecretBinary": "AAEC"}).to_string();
    let (url, _) = serve(vec![(200, binary, Duration::ZERO)]).await;
    let err = client(&url)
        .get_secret_value("x")
        .await
        .expect_err("binary");
    assert!(err.to_string().contains("no SecretString"), "{err}");
}
