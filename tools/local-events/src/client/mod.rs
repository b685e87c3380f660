//! `local-events subscribe` and `local-events publish`: a terminal client that talks to a
//! running endpoint over the real protocol (Lambda-mode tokens), for the dev loop.
//!
//! `subscribe` connects over WebSocket (`header-` subprotocol auth, `connection_init`,
//! `subscribe`) and prints each event on stdout, one JSON document per line. `publish`
//! sends `POST /event` (or, with `--ws`, a WebSocket `publish`) and prints the answer.
//! Their arguments are read in [`crate::args`], like the endpoint's.

mod socket;

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;

/// How long the client waits for an answer (amplify-js waits 15 s for an ack).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// `subscribe` or `publish`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `local-events subscribe`.
    Subscribe,
    /// `local-events publish`.
    Publish,
}

impl Kind {
    /// The subcommand named by `arg`, if any.
    pub fn parse(arg: &str) -> Option<Self> {
        match arg {
            "subscribe" => Some(Self::Subscribe),
            "publish" => Some(Self::Publish),
            _ => None,
        }
    }
}

/// A parsed client command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// Which command.
    pub kind: Kind,
    /// The endpoint's origin (`http://host:port`), without `/event`.
    pub endpoint: String,
    /// The channel as given.
    pub channel: String,
    /// Events to publish (JSON texts).
    pub events: Vec<String>,
    /// The Lambda token, if any. Never logged.
    pub token: Option<String>,
    /// CA file for https.
    pub ca: PathBuf,
    /// Publish over the WebSocket.
    pub via_ws: bool,
    /// Exit after this many events.
    pub count: Option<usize>,
}

/// Runs a client command, writing results to `out`.
pub async fn run(request: Request, out: &mut (dyn std::io::Write + Send)) -> Result<(), Error> {
    match (request.kind, request.via_ws) {
        (Kind::Subscribe, _) => socket::subscribe(&request, out).await,
        (Kind::Publish, true) => socket::publish(&request, out).await,
        (Kind::Publish, false) => publish_http(&request, out).await,
    }
}

fn client_error(message: impl Into<String>) -> Error {
    Error::Client(message.into())
}

fn write_line(out: &mut (dyn std::io::Write + Send), text: &str) -> Result<(), Error> {
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| client_error(format!("cannot write output: {e}")))
}

async fn publish_http(
    request: &Request,
    out: &mut (dyn std::io::Write + Send),
) -> Result<(), Error> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .timeout(ANSWER_TIMEOUT);
    if request.endpoint.starts_with("https://") {
        let pem = std::fs::read(&request.ca).map_err(|e| {
            client_error(format!(
                "cannot read the CA {}: {e} (see --ca)",
                request.ca.display()
            ))
        })?;
        let ca = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| client_error(format!("the CA is not PEM: {e}")))?;
        builder = builder.tls_certs_only([ca]);
    }
    let http = builder
        .build()
        .map_err(|e| client_error(format!("cannot build the HTTP client: {e}")))?;
    let channel = appsync_types::channel::normalize(&request.channel).into_owned();
    let body = serde_json::json!({"channel": channel, "events": request.events});
    let mut post = http
        .post(format!("{}/event", request.endpoint))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = &request.token {
        post = post.header("authorization", token);
    }
    let response = post
        .send()
        .await
        .map_err(|e| client_error(format!("POST {}/event failed: {e}", request.endpoint)))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| client_error(format!("reading the answer failed: {e}")))?;
    write_line(out, &text)?;
    if status.is_success() {
        Ok(())
    } else {
        Err(client_error(format!("the endpoint answered HTTP {status}")))
    }
}
