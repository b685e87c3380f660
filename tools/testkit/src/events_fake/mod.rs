//! A loopback stand-in for the AppSync Events HTTP publish endpoint (`POST /event`), for
//! the publisher's end-to-end tests.
//!
//! Every request's SigV4 signature is checked with [`crate::sigv4`] — written from the
//! specification, checked against botocore's vectors, sharing no code with the signer the
//! publisher uses — against the credentials, session token, region and service `appsync`
//! the fake was started with. A refusal is a 403 shaped like AWS's; a signature mismatch
//! carries the canonical request (and with it the session token), as AWS's does, so tests
//! can check the publisher never repeats it. Accepted requests are validated like AppSync
//! does (a channel, 1 to 5 events, each a JSON string of at most 240 KB) and recorded.
//!
//! [`Fault`]s queued with [`EventsFake::fault`] make the next matching requests fail: a
//! status, per-event failures inside a 200, a delay, or a reset connection. The fake also
//! answers AppSync's control-plane `GetApi` (`GET /v2/apis/{apiId}`), so resolving
//! `EVENTS_API_ID` through `AWS_ENDPOINT_URL_APPSYNC` can be tested.
//!
//! # Layout
//! `mod.rs`: the server and what tests read; [`fault`]: what can go wrong on command;
//! `answer.rs`: signature, validation and the AWS-shaped answers.

mod answer;
pub mod fault;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub use fault::Fault;

/// The credentials and identity requests must be signed with.
#[derive(Clone)]
pub struct EventsFakeConfig {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token every request must carry and sign (`None`: none expected).
    pub session_token: Option<String>,
    /// The API's region (default `us-east-1`).
    pub region: String,
    /// The API id `GetApi` knows (`None`: every `GetApi` is a 404).
    pub api_id: Option<String>,
}

impl std::fmt::Debug for EventsFakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsFakeConfig")
            .field("region", &self.region)
            .field("api_id", &self.api_id)
            .finish_non_exhaustive()
    }
}

impl EventsFakeConfig {
    /// Long-term credentials in `us-east-1`, no `GetApi`.
    pub fn new(access_key_id: &str, secret_access_key: &str) -> Self {
        Self {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: None,
            region: "us-east-1".to_owned(),
            api_id: None,
        }
    }

    /// Requires `token` as `X-Amz-Security-Token`, signed.
    pub fn session_token(mut self, token: &str) -> Self {
        self.session_token = Some(token.to_owned());
        self
    }

    /// The API's region.
    pub fn region(mut self, region: &str) -> Self {
        region.clone_into(&mut self.region);
        self
    }

    /// The API id `GetApi` answers for.
    pub fn api_id(mut self, api_id: &str) -> Self {
        self.api_id = Some(api_id.to_owned());
        self
    }
}

/// One `POST /event` as received, accepted or not.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PublishRequest {
    /// The channel, when the body named a valid one.
    pub channel: Option<String>,
    /// The events, each parsed from its JSON string.
    pub events: Vec<Value>,
    /// The status answered; 0 for a reset connection.
    pub status: u16,
    /// Whether the signature was accepted.
    pub accepted: bool,
    /// Why it was refused (`ErrorType: message`), or `fault` when one was applied.
    pub reason: Option<String>,
    /// The `X-Amz-Security-Token` sent.
    pub security_token: Option<String>,
    /// The positions a fault reported as failed inside a 200.
    pub failed_indices: Vec<usize>,
}

/// An event the endpoint accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Its channel.
    pub channel: String,
    /// The event, parsed.
    pub event: Value,
}

#[derive(Debug)]
struct State {
    config: EventsFakeConfig,
    addr: SocketAddr,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<Vec<PublishRequest>>,
    delivered: Mutex<Vec<Delivery>>,
}

/// The fake endpoint on 127.0.0.1; stops on drop.
#[derive(Debug)]
pub struct EventsFake {
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl EventsFake {
    /// Starts serving on a free port.
    pub async fn start(config: EventsFakeConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            config,
            addr,
            faults: Mutex::default(),
            requests: Mutex::default(),
            delivered: Mutex::default(),
        });
        let serving = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(serving.clone(), stream));
            }
        });
        Self { state, task }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.state.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.state.addr)
    }

    /// Queues faults, applied in order to the requests they match.
    pub fn fault(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.faults.lock().expect("lock").extend(faults);
    }

    /// Every publish request received, in order (accepted or not).
    pub fn requests(&self) -> Vec<PublishRequest> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// Every event accepted, in order.
    pub fn delivered(&self) -> Vec<Delivery> {
        self.state.delivered.lock().expect("lock").clone()
    }

    /// The events accepted for `channel`, in order.
    pub fn delivered_to(&self, channel: &str) -> Vec<Value> {
        self.delivered()
            .into_iter()
            .filter(|d| d.channel == channel)
            .map(|d| d.event)
            .collect()
    }

    /// Forgets requests, deliveries and queued faults.
    pub fn reset(&self) {
        self.state.faults.lock().expect("lock").clear();
        self.state.requests.lock().expect("lock").clear();
        self.state.delivered.lock().expect("lock").clear();
    }
}

impl Drop for EventsFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves one connection. A [`Fault`] that resets makes the service fail, so hyper drops
/// the connection without an answer; closing the last descriptor with a zero linger then
/// sends a TCP reset, what a client sees when a load balancer drops it.
async fn connection(state: Arc<State>, stream: TcpStream) {
    let Ok(std) = stream.into_std() else { return };
    let Ok(control) = std.try_clone() else { return };
    let Ok(stream) = TcpStream::from_std(std) else {
        return;
    };
    let reset = Arc::new(AtomicBool::new(false));
    let flag = reset.clone();
    let service = service_fn(move |request| answer::answer(state.clone(), flag.clone(), request));
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if reset.load(Ordering::SeqCst)
        && let Ok(control) = TcpStream::from_std(control)
    {
        let _ = control.set_zero_linger();
    }
}
