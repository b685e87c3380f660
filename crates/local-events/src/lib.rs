//! A development-only stand-in for the AppSync Events HTTP endpoint.
//!
//! It gives the publisher (and anything else that publishes) somewhere real to send
//! requests without an AWS account: `POST /event` applies AppSync's publish rules and
//! answers like AppSync, every accepted event is logged and broadcast on an in-process
//! [`bus::Bus`], and `GET /_local/events` shows what arrived.
//!
//! It does **not** verify SigV4 signatures or Lambda tokens yet; it parses the SigV4
//! credential scope so region/service mistakes show up, and refuses requests without
//! credentials. It listens on loopback unless told otherwise. Never deploy it: the SAM
//! template does not.
//!
//! # Layout
//! - [`config`]: arguments and `LOCAL_EVENTS_*` variables, validated at start-up.
//! - [`auth`]: which auth mode a request uses, and its SigV4 credential scope.
//! - [`publish`]: `POST /event` — validation rules and the `{successful, failed}` answer.
//! - [`bus`]: broadcast fan-out to live subscribers plus a bounded log of recent events.
//! - [`inspect`]: `GET /_local/events`.
//! - [`error`]: the crate's error type, rendered as AppSync error responses.
//! - [`Server`]: binds, serves, shuts down gracefully. `main.rs` only parses arguments,
//!   sets up logging and waits for a signal.

pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod error;
pub mod inspect;
pub mod publish;
pub mod sigv4;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::routing::{get, post};

pub use bus::{Bus, ReceivedEvent};
pub use config::Config;
pub use error::Error;

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Where accepted events go.
    pub bus: Arc<Bus>,
}

/// The HTTP routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/event", post(publish::handle))
        .route("/_local/events", get(inspect::recent))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(publish::MAX_BODY_BYTES))
        .with_state(state)
}

async fn not_found(uri: Uri) -> Error {
    Error::NotFound(format!(
        "no route for {}: this endpoint serves POST /event and GET /_local/events",
        uri.path()
    ))
}

/// A bound, not yet serving, endpoint.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    state: AppState,
}

impl Server {
    /// Binds `config.listen` (port 0 picks a free port).
    pub async fn bind(config: Config) -> Result<Self, Error> {
        let addr = config.listen;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let bus = Arc::new(Bus::new(config.history));
        Ok(Self {
            listener,
            state: AppState {
                config: Arc::new(config),
                bus,
            },
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        self.listener.local_addr().map_err(Error::Serve)
    }

    /// The bus accepted events go to (subscribe to it to watch them in-process).
    pub fn bus(&self) -> Arc<Bus> {
        self.state.bus.clone()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight requests
    /// finish.
    pub async fn run<F>(self, shutdown: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(Error::Serve)
    }
}
