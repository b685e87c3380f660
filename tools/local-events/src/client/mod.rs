//! `local-events subscribe` and `local-events publish`: a terminal client that talks to a
//! running endpoint over the real protocol (Lambda-mode tokens), for the dev loop.
//!
//! `subscribe` connects over WebSocket (`header-` subprotocol auth, `connection_init`,
//! `subscribe`) and prints each event on stdout, one JSON document per line. `publish`
//! sends `POST /event` (or, with `--ws`, a WebSocket `publish`) and prints the answer.

mod socket;

use std::path::PathBuf;
use std::time::Duration;

use crate::args::Command;
use crate::error::Error;

/// Default endpoint the client talks to.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4010";
/// How long the client waits for an answer (amplify-js waits 15 s for an ack).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// Usage of the client commands.
pub const USAGE: &str = "\
local-events subscribe <CHANNEL> [OPTIONS]       print events (one JSON per line) until Ctrl-C
local-events publish <CHANNEL> <JSON>... [OPTIONS]
                                                 publish up to 5 events, print the answer

CHANNEL is like /default/chat (subscribe also takes /default/*); each JSON argument is one
event, e.g. '{\"text\":\"hi\"}'.

OPTIONS:
    --endpoint <URL>     the running endpoint [LOCAL_EVENTS_ENDPOINT] [default: http://127.0.0.1:4010]
                         (https://localhost:PORT for --tls; WebSocket URL derived like clients do)
    --token <TOKEN>      Lambda authorizer token sent as Authorization [LOCAL_EVENTS_TOKEN]
                         (scripts/mint-dev-token.py makes one for the dev issuer)
    --ca <FILE>          CA to trust for https [LOCAL_EVENTS_CA] [default: .dev/certs/ca.pem]
    --count <N>          subscribe: exit after N events
    --ws                 publish: over the WebSocket instead of POST /event
    -h, --help           print this help
";

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

/// Parses the arguments after `subscribe` / `publish`.
pub fn parse<I>(kind: Kind, args: I, env: &dyn Fn(&str) -> Option<String>) -> Result<Command, Error>
where
    I: Iterator<Item = String>,
{
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let mut positional = Vec::new();
    let mut endpoint =
        var("LOCAL_EVENTS_ENDPOINT").map(|v| ("LOCAL_EVENTS_ENDPOINT".to_owned(), v));
    let mut token = var("LOCAL_EVENTS_TOKEN");
    let mut ca = var("LOCAL_EVENTS_CA").map(PathBuf::from);
    let (mut via_ws, mut count) = (false, None);
    let mut args = args;
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| Error::invalid_argument(&name, "a value is required"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help(USAGE)),
            "--endpoint" => endpoint = Some(("--endpoint".to_owned(), value()?)),
            "--token" => token = Some(value()?),
            "--ca" => ca = Some(PathBuf::from(value()?)),
            "--ws" if kind == Kind::Publish => via_ws = true,
            "--count" if kind == Kind::Subscribe => {
                let raw = value()?;
                count = Some(
                    raw.parse::<usize>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            Error::invalid_argument(
                                "--count",
                                format!("{raw:?} is not a positive number"),
                            )
                        })?,
                );
            }
            flag if flag.starts_with("--") => {
                return Err(Error::invalid_argument(arg, "unknown option (see --help)"));
            }
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    let channel = positional.next().ok_or_else(|| {
        Error::invalid_argument("CHANNEL", "a channel is required, e.g. /default/chat")
    })?;
    let events: Vec<String> = positional.collect();
    match kind {
        Kind::Subscribe if !events.is_empty() => {
            return Err(Error::invalid_argument(
                &events[0],
                "subscribe takes one channel",
            ));
        }
        Kind::Publish if events.is_empty() => {
            return Err(Error::invalid_argument(
                "JSON",
                "give at least one event, e.g. '{\"text\":\"hi\"}'",
            ));
        }
        _ => {}
    }
    for (index, event) in events.iter().enumerate() {
        if serde_json::from_str::<serde::de::IgnoredAny>(event).is_err() {
            return Err(Error::invalid_argument(
                format!("event {}", index + 1),
                format!("{event:?} is not JSON"),
            ));
        }
    }
    let endpoint = match endpoint {
        Some((name, url)) => origin(&url).map_err(|e| Error::invalid_argument(name, e))?,
        None => DEFAULT_ENDPOINT.to_owned(),
    };
    let ca = ca.unwrap_or_else(|| {
        PathBuf::from(crate::config::DEFAULT_CERT_DIR).join(testkit::dev_ca::CA_FILE)
    });
    Ok(Command::Client(Request {
        kind,
        endpoint,
        channel,
        events,
        token,
        ca,
        via_ws,
        count,
    }))
}

/// `http(s)://host:port` from a URL that may end in `/event`.
fn origin(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix("/event").unwrap_or(url);
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url:?} must start with http:// or https://"));
    }
    if url
        .split("://")
        .nth(1)
        .is_some_and(|rest| rest.contains('/'))
    {
        return Err(format!(
            "{url:?} must be an origin like http://127.0.0.1:4010 (optionally ending in /event)"
        ));
    }
    Ok(url.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(kind: Kind, args: &[&str]) -> Result<Request, Error> {
        match parse(kind, args.iter().map(|a| (*a).to_owned()), &|_| None)? {
            Command::Client(request) => Ok(request),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn publish_takes_a_channel_and_json_events() {
        let request = parse_args(
            Kind::Publish,
            &["/default/a", "{\"x\":1}", "2", "--token", "t", "--ws"],
        )
        .expect("valid");
        assert_eq!(request.channel, "/default/a");
        assert_eq!(request.events, ["{\"x\":1}", "2"]);
        assert_eq!(request.token.as_deref(), Some("t"));
        assert!(request.via_ws);
        assert_eq!(request.endpoint, DEFAULT_ENDPOINT);
        assert!(parse_args(Kind::Publish, &["/default/a"]).is_err());
        assert!(parse_args(Kind::Publish, &["/default/a", "not json"]).is_err());
    }

    #[test]
    fn subscribe_takes_one_channel_and_an_endpoint_ending_in_event() {
        let request = parse_args(
            Kind::Subscribe,
            &[
                "/default/*",
                "--endpoint",
                "https://localhost:4443/event",
                "--count",
                "2",
            ],
        )
        .expect("valid");
        assert_eq!(request.endpoint, "https://localhost:4443");
        assert_eq!(request.count, Some(2));
        assert!(parse_args(Kind::Subscribe, &["/a", "/b"]).is_err());
        assert!(parse_args(Kind::Subscribe, &["/a", "--endpoint", "ws://x"]).is_err());
        assert!(
            parse_args(Kind::Subscribe, &["/a", "--ws"]).is_err(),
            "--ws is for publish"
        );
    }
}
