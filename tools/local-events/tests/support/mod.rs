//! An in-process endpoint on an ephemeral loopback port, and a stub Lambda Invoke API
//! that records what the endpoint sends and answers as told.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use local_events::{Config, Server};
use serde_json::Value;

pub struct Running {
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), local_events::Error>>,
}

impl Running {
    pub async fn start(config: Config) -> Self {
        let server = Server::bind(config).await.expect("binds loopback");
        let addr = server.local_addr().expect("bound");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            stop: Some(stop),
            task,
        }
    }

    /// POST /event; returns (status, x-amzn-errortype, JSON body).
    pub async fn publish(
        &self,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> (u16, Option<String>, Value) {
        testkit::dev_loop::post_event(&self.base, headers, body).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body read");
        (status, serde_json::from_str(&body).expect("JSON body"))
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("graceful shutdown within 15 s")
            .expect("server task joins");
        assert!(result.is_ok(), "server stopped cleanly: {result:?}");
    }
}

/// How the stub authorizer answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 with this body.
    Answer(Value),
    /// 200 with `X-Amz-Function-Error: Unhandled`.
    FunctionError,
    /// This HTTP status.
    Status(u16),
    /// Sleep, then answer allow.
    Slow(Duration),
}

#[derive(Debug)]
struct Shared {
    behaviour: Mutex<Behaviour>,
    requests: Mutex<Vec<(String, Value)>>,
}

pub struct StubAuthorizer {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl StubAuthorizer {
    pub async fn start(behaviour: Behaviour) -> Self {
        let shared = Arc::new(Shared {
            behaviour: Mutex::new(behaviour),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/2015-03-31/functions/{name}/invocations", post(invoke))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, shared, task }
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.shared.behaviour.lock().expect("lock") = behaviour;
    }

    /// (function name, request body) of every invocation so far.
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.shared.requests.lock().expect("lock").clone()
    }
}

impl Drop for StubAuthorizer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn invoke(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let request = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.requests.lock().expect("lock").push((name, request));
    let behaviour = shared.behaviour.lock().expect("lock").clone();
    match behaviour {
        Behaviour::Answer(value) => value.to_string().into_response(),
        Behaviour::FunctionError => {
            let mut headers = HeaderMap::new();
            headers.insert("x-amz-function-error", "Unhandled".parse().expect("value"));
            (headers, r#"{"errorType":"Panic","errorMessage":"boom"}"#).into_response()
        }
        Behaviour::Status(status) => StatusCode::from_u16(status)
            .expect("status")
            .into_response(),
        Behaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            r#"{"isAuthorized":true}"#.into_response()
        }
    }
}

/// A loopback config using `authorizer` for Lambda mode.
pub fn config_with(authorizer: &StubAuthorizer) -> Config {
    let mut config = Config::ephemeral(["default"]);
    config.authorizer.url = authorizer.url.clone();
    config.authorizer.timeout = Duration::from_secs(1);
    config
}
