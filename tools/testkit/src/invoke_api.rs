//! A Lambda **Invoke API** (`POST /2015-03-31/functions/{name}/invocations`) on loopback,
//! forwarding each invocation to a real function binary running under the harness's
//! Runtime API ([`LambdaProcess`]) — what `cargo lambda watch` or `sam local start-lambda`
//! provide, without either, so `local-events` can call the real authorizer in tests.
//!
//! A handler error is answered as Lambda does: 200 with `X-Amz-Function-Error: Unhandled`
//! and the error body. An unknown function is a 404 `ResourceNotFoundException`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::runtime::{LambdaProcess, Outcome};

/// The deadline each forwarded invocation gets (Lambda authorizers have 10 s).
pub const DEADLINE: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Shared {
    functions: HashMap<String, Arc<LambdaProcess>>,
    invocations: Mutex<Vec<(String, Value)>>,
}

/// The Invoke API server; stops when dropped.
pub struct InvokeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for InvokeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvokeApi")
            .field("addr", &self.addr)
            .finish()
    }
}

impl InvokeApi {
    /// Serves the given functions, by name, on an ephemeral 127.0.0.1 port.
    pub async fn start(functions: Vec<(&str, Arc<LambdaProcess>)>) -> Self {
        let shared = Arc::new(Shared {
            functions: functions
                .into_iter()
                .map(|(name, process)| (name.to_owned(), process))
                .collect(),
            invocations: Mutex::default(),
        });
        let app = Router::new()
            .route("/2015-03-31/functions/{name}/invocations", post(invoke))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("invoke api serves");
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:<port>`, the value for `--authorizer-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The payloads `function` was invoked with, in order.
    pub fn invocations(&self, function: &str) -> Vec<Value> {
        self.shared
            .invocations
            .lock()
            .expect("lock")
            .iter()
            .filter(|(name, _)| name == function)
            .map(|(_, payload)| payload.clone())
            .collect()
    }
}

impl Drop for InvokeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn invoke(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let Some(process) = shared.functions.get(&name).cloned() else {
        let mut response = (
            StatusCode::NOT_FOUND,
            json!({"Type": "User", "Message": format!("Function not found: {name}")}).to_string(),
        )
            .into_response();
        response.headers_mut().insert(
            "x-amzn-errortype",
            HeaderValue::from_static("ResourceNotFoundException"),
        );
        return response;
    };
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not JSON: {e}")).into_response(),
    };
    shared
        .invocations
        .lock()
        .expect("lock")
        .push((name, payload.clone()));
    match process.invoke_with(&payload, DEADLINE).await {
        Outcome::Response(value) => value.to_string().into_response(),
        Outcome::Error(error) => {
            let mut headers = HeaderMap::new();
            headers.insert(
                "x-amz-function-error",
                HeaderValue::from_static("Unhandled"),
            );
            (headers, error.to_string()).into_response()
        }
    }
}
