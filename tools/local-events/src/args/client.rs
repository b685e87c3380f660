//! The arguments of `local-events subscribe` and `local-events publish`, over
//! `LOCAL_EVENTS_ENDPOINT` / `_TOKEN` / `_CA`.

use std::path::PathBuf;

use super::Command;
use crate::client::{Kind, Request};
use crate::config::DEFAULT_CERT_DIR;
use crate::error::Error;

/// Default endpoint the client talks to.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4010";
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
                         (`cargo xtask mint-dev-token` makes one for the dev issuer)
    --ca <FILE>          CA to trust for https [LOCAL_EVENTS_CA] [default: .dev/certs/ca.pem]
    --count <N>          subscribe: exit after N events
    --ws                 publish: over the WebSocket instead of POST /event
    -h, --help           print this help
";

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
    let ca = ca.unwrap_or_else(|| PathBuf::from(DEFAULT_CERT_DIR).join(testkit::dev_ca::CA_FILE));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Kind;

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
