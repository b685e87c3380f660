//! A development-only local **AppSync Events** endpoint: the whole real-time loop on a
//! laptop, with the real clients and the real authorizer.
//!
//! One host:port serves `POST /event` (HTTP publish) and the WebSocket protocol on
//! `/event/realtime` (connect, `connection_init`/`connection_ack`, keep-alives,
//! `subscribe`, `data`, `unsubscribe`, `publish`), plain or TLS (clients force `wss://`,
//! so `--tls` serves a development certificate). Connect, subscribe and publish are
//! authorized per namespace like AppSync does: `AWS_LAMBDA` through the authorizer's
//! Lambda Invoke API (`cargo lambda watch`, `sam local start-lambda`), with its answer
//! cache; `AWS_IAM` by verifying SigV4 against development credentials with an
//! independent verifier that explains which part of a signature differs. Auth modes and
//! namespaces come from flags or straight from `template.yaml`.
//!
//! It listens on loopback unless told otherwise. Never deploy it: the SAM template does
//! not. The protocol and behaviour are documented in `docs/local-endpoint.md`.
//!
//! # Layout
//! Imports point one way, from the top of this list to the bottom: no module imports one
//! above it, except that the handlers take the shared [`AppState`] defined here.
//! - `main.rs` only parses arguments, sets up logging and waits for a signal; [`Server`]
//!   (here) binds, serves and shuts down gracefully.
//! - [`args`]: the command line and `LOCAL_EVENTS_*` variables, validated at start-up (the
//!   `subscribe` / `publish` arguments included); [`client`]: those two commands.
//! - [`template`]: `EventConfig` and namespaces read from a SAM template (with
//!   `testkit::cfn`).
//! - [`ws`]: `/event/realtime`; [`publish`]: `POST /event`; [`inspect`]:
//!   `GET /_local/events`.
//! - [`authz`]: the per-request decision; [`lambda`] + [`cache`]: the Lambda authorizer over
//!   the Invoke API and its answer cache; `AWS_IAM` is checked with `testkit::sigv4`, the
//!   independent SigV4 verifier.
//! - [`config`]: the validated configuration, its defaults and `--help`.
//! - [`modes`]: which auth modes each operation allows; [`token`]: the token pre-filter
//!   (`IdentityValidationExpression`) and expiry; [`bus`]: fan-out and the log of recent
//!   events; [`error`]: the crate's error type.
//!
//! `--tls` serves a certificate from `testkit::dev_ca`, the development CA the tests use.

pub mod args;
pub mod authz;
pub mod bus;
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod inspect;
pub mod lambda;
pub mod modes;
pub mod publish;
pub mod template;
pub mod token;
pub mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, Uri};
use axum::routing::{get, post};
use testkit::dev_ca::{self, DevCertificate};
use tokio::sync::{Notify, watch};
use tower_http::cors::{Any, CorsLayer};

pub use bus::{Bus, ReceivedEvent};
pub use config::Config;
pub use error::Error;

use authz::Authz;
use lambda::LambdaAuthorizer;

/// How long shutdown waits for connections and requests to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Where accepted events go.
    pub bus: Arc<Bus>,
    /// Authorization.
    pub authz: Arc<Authz>,
    /// Becomes `true` when the endpoint shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Live WebSocket connections.
    pub connections: Arc<Connections>,
}

/// Counts live WebSocket connections, so shutdown can wait for them to close.
#[derive(Debug, Default)]
pub struct Connections {
    live: AtomicUsize,
    changed: Notify,
}

/// Decrements the count when a connection ends.
#[derive(Debug)]
pub struct ConnectionGuard(Arc<Connections>);

impl Connections {
    /// Records a new connection.
    pub fn open(self: &Arc<Self>) -> ConnectionGuard {
        self.live.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(self.clone())
    }

    /// How many are live.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    async fn all_closed(&self) {
        loop {
            let changed = self.changed.notified();
            if self.live() == 0 {
                return;
            }
            changed.await;
        }
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// The routes, with CORS for browser clients (preflight for `authorization`,
/// `content-type`, `x-amz-*`; `x-amzn-ErrorType` readable by scripts).
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers([
            HeaderName::from_static("authorization"),
            HeaderName::from_static("content-type"),
            HeaderName::from_static("x-amz-date"),
            HeaderName::from_static("x-amz-security-token"),
            HeaderName::from_static("x-amz-user-agent"),
            HeaderName::from_static("x-amz-content-sha256"),
            HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([error::ERROR_TYPE_HEADER])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/event", post(publish::handle))
        .route("/event/realtime", get(ws::upgrade))
        .route("/_local/events", get(inspect::recent))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(publish::MAX_BODY_BYTES))
        .layer(cors)
        .with_state(state)
}

async fn not_found(uri: Uri) -> Error {
    Error::NotFound(format!(
        "no route for {}: this endpoint serves POST /event, the WebSocket /event/realtime and GET /_local/events",
        uri.path()
    ))
}

/// A bound, not yet serving, endpoint.
#[derive(Debug)]
pub struct Server {
    listener: std::net::TcpListener,
    tls: Option<DevCertificate>,
    state: AppState,
    stop: watch::Sender<bool>,
}

impl Server {
    /// Binds `config.listen` (port 0 picks a free port) and, with `--tls`, prepares the
    /// development certificate.
    pub async fn bind(config: Config) -> Result<Self, Error> {
        let addr = config.listen;
        let listener =
            std::net::TcpListener::bind(addr).map_err(|source| Error::Bind { addr, source })?;
        listener.set_nonblocking(true).map_err(Error::Serve)?;
        let tls = config
            .tls
            .as_deref()
            .map(dev_ca::ensure)
            .transpose()
            .map_err(|e| Error::Tls(e.0))?;
        let bus = Arc::new(Bus::new(config.history));
        let lambda = LambdaAuthorizer::new(
            config.authorizer.clone(),
            config.api_id.clone(),
            config.account_id.clone(),
        );
        let authz = Arc::new(
            Authz::new(lambda, config.iam.clone(), config.region.clone())
                .with_identity_validation(config.identity_validation.clone()),
        );
        let (stop, shutdown) = watch::channel(false);
        Ok(Self {
            listener,
            tls,
            state: AppState {
                config: Arc::new(config),
                bus,
                authz,
                shutdown,
                connections: Arc::default(),
            },
            stop,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        self.listener.local_addr().map_err(Error::Serve)
    }

    /// The development certificate, in TLS mode.
    pub fn certificate(&self) -> Option<&DevCertificate> {
        self.tls.as_ref()
    }

    /// The bus accepted events go to (subscribe to it to watch them in-process).
    pub fn bus(&self) -> Arc<Bus> {
        self.state.bus.clone()
    }

    /// The shared state (configuration, authorizer client, …).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes; then closes WebSocket connections (close code
    /// 1001), stops accepting, and lets in-flight requests finish (up to
    /// [`SHUTDOWN_GRACE`]).
    pub async fn run<F>(self, shutdown: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = axum_server::Handle::new();
        let connections = self.state.connections.clone();
        let stop = self.stop;
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, connections.all_closed()).await;
            stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
        });
        let app = router(self.state).into_make_service();
        let served = match self.tls {
            Some(cert) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_config(
                    dev_ca::server_config(&cert).map_err(|e| Error::Tls(e.0))?,
                );
                axum_server::from_tcp_rustls(self.listener, config)
                    .map_err(Error::Serve)?
                    .handle(handle)
                    .serve(app)
                    .await
            }
            None => {
                axum_server::from_tcp(self.listener)
                    .map_err(Error::Serve)?
                    .handle(handle)
                    .serve(app)
                    .await
            }
        };
        served.map_err(Error::Serve)
    }
}
