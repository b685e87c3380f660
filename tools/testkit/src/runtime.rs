//! A Lambda Runtime API (the `2018-06-01` protocol the real service speaks) served on
//! loopback, and a function process driven through it.
//!
//! The function under test is the real binary: it polls `GET /runtime/invocation/next`,
//! posts its answer to `/response` or `/error`, and reports init failures to
//! `/runtime/init/error`, exactly as in Lambda. Everything it prints is captured so tests
//! can assert on logs.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Notify, oneshot};

/// What the function answered for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Posted to `/invocation/{id}/response`.
    Response(Value),
    /// Posted to `/invocation/{id}/error` (the function's handler returned an error).
    Error(Value),
}

impl Outcome {
    /// The response body; panics (test failure) if the function reported an error.
    pub fn expect_response(self) -> Value {
        match self {
            Self::Response(v) => v,
            Self::Error(e) => panic!("function returned an error instead of a response: {e}"),
        }
    }
}

struct Pending {
    request_id: String,
    payload: Vec<u8>,
    deadline_ms: u64,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Pending>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<(Outcome, Instant)>>>,
    init_error: Mutex<Option<Value>>,
    next_polls: Mutex<u64>,
    first_poll_at: Mutex<Option<Instant>>,
    notify: Notify,
}

/// A Runtime API server on 127.0.0.1 with an ephemeral port.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RuntimeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeApi")
            .field("addr", &self.addr)
            .finish()
    }
}

impl RuntimeApi {
    /// Starts the server.
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("runtime api serves");
        });
        Self {
            addr,
            shared,
            server,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues one invocation and waits for its outcome (or `None` after `timeout`).
    pub async fn invoke(
        &self,
        payload: &Value,
        deadline: Duration,
        timeout: Duration,
    ) -> Option<Outcome> {
        self.invoke_timed(payload, deadline, timeout)
            .await
            .map(|(outcome, _)| outcome)
    }

    /// Like [`invoke`](Self::invoke), with the instant the server received the answer
    /// (before this task is woken: what a benchmark measures a cold start up to).
    pub async fn invoke_timed(
        &self,
        payload: &Value,
        deadline: Duration,
        timeout: Duration,
    ) -> Option<(Outcome, Instant)> {
        let request_id = format!("req-{:x}", fastrand_u64());
        let (tx, rx) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .expect("lock")
            .insert(request_id.clone(), tx);
        let deadline_ms = now_ms() + deadline.as_millis() as u64;
        let payload = serde_json::to_vec(payload).expect("payload serializes");
        self.shared.queue.lock().expect("lock").push_back(Pending {
            request_id,
            payload,
            deadline_ms,
        });
        self.shared.notify.notify_waiters();
        self.shared.notify.notify_one();
        tokio::time::timeout(timeout, rx)
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// The body the function posted to `/runtime/init/error`, if any.
    pub fn init_error(&self) -> Option<Value> {
        self.shared.init_error.lock().expect("lock").clone()
    }

    /// How many times the function has asked for the next invocation (a function that is
    /// ready and idle has polled once more than it has been invoked).
    pub fn next_polls(&self) -> u64 {
        *self.shared.next_polls.lock().expect("lock")
    }

    /// When the function first asked for an invocation: the end of its init phase.
    pub fn first_poll_at(&self) -> Option<Instant> {
        *self.shared.first_poll_at.lock().expect("lock")
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn fastrand_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    COUNTER.fetch_add(1, Ordering::Relaxed) ^ (now_ms() << 20)
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    *shared.next_polls.lock().expect("lock") += 1;
    shared
        .first_poll_at
        .lock()
        .expect("lock")
        .get_or_insert_with(Instant::now);
    loop {
        let notified = shared.notify.notified();
        if let Some(p) = shared.queue.lock().expect("lock").pop_front() {
            let mut headers = HeaderMap::new();
            let h = |v: &str| HeaderValue::from_str(v).expect("header value");
            headers.insert("lambda-runtime-aws-request-id", h(&p.request_id));
            headers.insert("lambda-runtime-deadline-ms", h(&p.deadline_ms.to_string()));
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                h("arn:aws:lambda:us-east-1:123456789012:function:under-test"),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                h("Root=1-00000000-000000000000000000000000;Sampled=0"),
            );
            headers.insert("content-type", h("application/json"));
            return (StatusCode::OK, headers, p.payload).into_response();
        }
        notified.await;
    }
}

fn settle(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    match shared.waiting.lock().expect("lock").remove(id) {
        Some(tx) => {
            let _ = tx.send((outcome, Instant::now()));
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

fn body_json(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn respond(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    settle(&shared, &id, Outcome::Response(body_json(&body)))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    settle(&shared, &id, Outcome::Error(body_json(&body)))
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().expect("lock") = Some(body_json(&body));
    StatusCode::ACCEPTED
}

/// A function binary running against its own [`RuntimeApi`]; killed on drop.
pub struct LambdaProcess {
    api: RuntimeApi,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    spawned_at: Instant,
}

/// How to start a function process, when "this binary, output captured" is not enough: a
/// program with arguments (`node runtime.mjs`), a working directory, output to a file
/// (benchmarks: no reader competing with the function for a CPU).
#[derive(Debug, Clone)]
pub struct Launch {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its working directory (the harness's when `None`).
    pub cwd: Option<PathBuf>,
    /// Variables on top of the Lambda environment (they override it).
    pub env: Vec<(String, String)>,
    /// Where stdout and stderr go (appended); `None`: captured for [`LambdaProcess::logs`].
    pub log_file: Option<PathBuf>,
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub name: String,
}

impl Launch {
    /// `program` without arguments, output captured, named after its file name.
    pub fn new(program: &Path) -> Self {
        let name = program
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("function")
            .to_owned();
        Self {
            program: program.to_owned(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            log_file: None,
            name,
        }
    }
}

impl std::fmt::Debug for LambdaProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaProcess")
            .field("api", &self.api)
            .finish()
    }
}

/// Default environment every function gets, as Lambda sets it.
fn lambda_env(name: &str, api: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", api),
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
        ("AWS_REGION", "us-east-1"),
        // Never let a test read the developer's real AWS configuration or reach IMDS.
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl LambdaProcess {
    /// Spawns `binary` with the Lambda environment plus `env` (which overrides it).
    ///
    /// Returns as soon as the process is spawned; use [`wait_ready`](Self::wait_ready) to
    /// wait for the end of its init phase.
    pub async fn spawn(binary: &Path, env: &[(&str, &str)]) -> Self {
        let mut launch = Launch::new(binary);
        launch.env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::launch(&launch).await
    }

    /// Spawns what `launch` describes (a program with arguments, a working directory,
    /// output to a file) with the Lambda environment plus `launch.env`.
    pub async fn launch(launch: &Launch) -> Self {
        let api = RuntimeApi::start().await;
        let mut command = Command::new(&launch.program);
        command.args(&launch.args).env_clear();
        if let Some(dir) = &launch.cwd {
            command.current_dir(dir);
        }
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        for (k, v) in lambda_env(&launch.name, &api.address()) {
            command.env(k, v);
        }
        for (k, v) in &launch.env {
            command.env(k, v);
        }
        command.stdin(Stdio::null()).kill_on_drop(true);
        if let Some(path) = &launch.log_file {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("function log file opens");
            let err = file.try_clone().expect("log file handle clones");
            command.stdout(file).stderr(err);
        } else {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
        let spawned_at = Instant::now();
        let mut child = command.spawn().expect("function binary spawns");
        let logs = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    logs.lock().expect("lock").push(line);
                }
            });
        }
        Self {
            api,
            child,
            logs,
            spawned_at,
        }
    }

    /// The instant just before the process was spawned (a cold start's origin).
    pub fn spawned_at(&self) -> Instant {
        self.spawned_at
    }

    /// The Runtime API this process polls.
    pub fn api(&self) -> &RuntimeApi {
        &self.api
    }

    /// Spawns and waits until the function finished init and polls for work.
    ///
    /// Panics if it exits or reports an init error first, or is not ready within 30 s.
    pub async fn start(binary: &Path, env: &[(&str, &str)]) -> Self {
        let mut process = Self::spawn(binary, env).await;
        process.wait_ready(Duration::from_secs(30)).await;
        process
    }

    /// Waits until the function polls `/invocation/next` for the first time.
    pub async fn wait_ready(&mut self, timeout: Duration) {
        let start = Instant::now();
        while self.api.next_polls() == 0 {
            if let Some(err) = self.api.init_error() {
                panic!(
                    "function failed init: {err}\nlogs:\n{}",
                    self.logs().join("\n")
                );
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "function exited during init with {status}\nlogs:\n{}",
                    self.logs().join("\n")
                );
            }
            assert!(
                start.elapsed() < timeout,
                "function not ready after {timeout:?}\nlogs:\n{}",
                self.logs().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the process to exit (e.g. after a bad configuration) and returns the
    /// init error it reported, if any.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<Value> {
        let status = tokio::time::timeout(timeout, self.child.wait()).await;
        assert!(
            status.is_ok(),
            "function did not exit within {timeout:?}\nlogs:\n{}",
            self.logs().join("\n")
        );
        // Let the log readers drain what the process printed last.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.api.init_error()
    }

    /// Invokes with `payload`, a 10 s deadline, and waits up to 15 s for the outcome.
    pub async fn invoke(&self, payload: &Value) -> Outcome {
        self.invoke_with(payload, Duration::from_secs(10)).await
    }

    /// Invokes with the given deadline (what `Context::deadline` reports to the function),
    /// waiting up to the deadline plus 5 s.
    pub async fn invoke_with(&self, payload: &Value, deadline: Duration) -> Outcome {
        let outcome = self
            .api
            .invoke(payload, deadline, deadline + Duration::from_secs(5))
            .await;
        outcome.unwrap_or_else(|| {
            panic!(
                "no answer within {deadline:?} + 5 s\nlogs:\n{}",
                self.logs().join("\n")
            )
        })
    }

    /// Everything the process printed so far (stdout and stderr, one entry per line).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("lock").clone()
    }

    /// The process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The OS process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}
