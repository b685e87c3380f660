//! Answers to client messages: `connection_init`, `subscribe`, `unsubscribe`, `publish`,
//! and an `error` frame for anything else. Every message gets exactly one answer (the
//! client has no publish timeout, so silence would hang it).

use appsync_types::{ChannelPath, EventsOperation};
use serde_json::{Map, Value, json};

use super::conn::{Conn, Subscription};
use super::frames;
use super::handshake::string_map;
use crate::authz::{Subject, header_pairs};
use crate::error::Error;
use crate::modes::AuthMode;
use crate::publish::{self, ValidPublish};
use crate::token;
use testkit::sigv4::RequestParts;

/// The most subscriptions one connection may hold (a local bound on memory).
pub const MAX_SUBSCRIPTIONS: usize = 200;

/// Answers one text frame.
pub async fn handle(conn: &Conn, text: &str) {
    let frame: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(frame)) => frame,
        _ => {
            tracing::warn!("message is not a JSON object");
            conn.send(frames::error(
                None,
                "BadRequestException",
                "messages must be JSON objects with a type",
            ))
            .await;
            return;
        }
    };
    let id = frame.get("id").and_then(Value::as_str).map(str::to_owned);
    let kind = frame
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match (kind.as_str(), id) {
        ("connection_init", _) => {
            tracing::info!("connection_init: connection_ack and ka sent");
            conn.send(frames::connection_ack()).await;
            conn.send(frames::ka()).await;
        }
        ("subscribe", Some(id)) => subscribe(conn, &id, &frame).await,
        ("unsubscribe", Some(id)) => unsubscribe(conn, &id).await,
        ("publish", Some(id)) => publish(conn, &id, &frame).await,
        ("subscribe" | "unsubscribe" | "publish", None) => {
            tracing::warn!(kind, "message without an id");
            let message = format!("a {kind} message needs a string id");
            conn.send(frames::error(None, "BadRequestException", &message))
                .await;
        }
        (other, id) => {
            tracing::warn!(
                kind = other,
                id = id.as_deref().unwrap_or("-"),
                "unknown message type"
            );
            let message = format!(
                "unknown message type {other:?} (expected connection_init, subscribe, unsubscribe or publish)"
            );
            conn.send(frames::error(
                id.as_deref(),
                "UnknownOperationError",
                &message,
            ))
            .await;
        }
    }
}

/// The message's `authorization` object as SigV4 parts over `body`, plus the original map.
fn subject<'a>(
    operation: EventsOperation,
    channel: &'a ChannelPath,
    allowed: &'a [AuthMode],
    frame: &Map<String, Value>,
    body: &'a [u8],
) -> Subject<'a> {
    let headers = frame
        .get("authorization")
        .and_then(string_map)
        .unwrap_or_default();
    Subject {
        operation,
        channel: Some(channel),
        allowed,
        // An IAM-signed message signs `POST /event` with the message's JSON body.
        parts: RequestParts {
            method: "POST",
            path: "/event",
            query: "",
            headers: header_pairs(&headers),
            body,
        },
        request_headers: headers,
    }
}

async fn subscribe(conn: &Conn, id: &str, frame: &Map<String, Value>) {
    let fail =
        |error_type: &str, message: &str| frames::failure("subscribe", id, error_type, message);
    let raw = match frame.get("channel") {
        Some(Value::String(channel)) => channel.clone(),
        _ => {
            conn.send(fail(
                "BadRequestException",
                "subscribe needs a channel string",
            ))
            .await;
            return;
        }
    };
    let channel = match ChannelPath::parse_lenient(&raw)
        .map_err(|e| Error::BadRequest(e.to_string()))
        .and_then(|c| publish::check_namespace(&c, &conn.state.config.events).map(|()| c))
    {
        Ok(channel) => channel,
        Err(error) => {
            tracing::warn!(subscription = id, channel = %raw, reason = %error, "subscribe refused");
            conn.send(fail(error.error_type(), &error.to_string()))
                .await;
            return;
        }
    };
    let duplicate = conn.subscriptions().contains_key(id);
    let full = conn.subscriptions().len() >= MAX_SUBSCRIPTIONS;
    if duplicate || full {
        let message = if duplicate {
            format!("a subscription with id {id} already exists on this connection")
        } else {
            format!("this connection already has {MAX_SUBSCRIPTIONS} subscriptions")
        };
        tracing::warn!(subscription = id, %channel, reason = %message, "subscribe refused");
        conn.send(fail("BadRequestException", &message)).await;
        return;
    }
    let body = json!({"channel": raw}).to_string();
    let allowed = conn
        .state
        .config
        .events
        .subscribe_modes(channel.namespace());
    let subject = subject(
        EventsOperation::Subscribe,
        &channel,
        allowed,
        frame,
        body.as_bytes(),
    );
    // A Lambda-mode subscription lasts until its token expires (docs/local-endpoint.md).
    let expires = match &subject.parts.header("authorization") {
        Some(token) if !token.trim_start().starts_with("AWS4-") => token::expiry(token),
        _ => None,
    };
    let allowed = match conn.state.authz.decide(subject).await {
        Ok(allowed) => allowed,
        Err(denial) => {
            conn.send(fail(denial.error_type(), denial.message())).await;
            return;
        }
    };
    let expires = expires.filter(|_| allowed.mode == AuthMode::Lambda);
    let after = conn.state.bus.last_sequence();
    conn.subscriptions().insert(
        id.to_owned(),
        Subscription {
            channel: channel.clone(),
            after,
            expires,
        },
    );
    let expires_in_secs = expires.and_then(|at| {
        at.duration_since(std::time::SystemTime::now())
            .ok()
            .map(|d| d.as_secs())
    });
    tracing::info!(subscription = id, %channel, ?expires_in_secs, "subscribed");
    conn.send(frames::success("subscribe", id)).await;
}

async fn unsubscribe(conn: &Conn, id: &str) {
    let removed = conn.subscriptions().remove(id);
    match removed {
        Some(subscription) => {
            tracing::info!(subscription = id, channel = %subscription.channel, "unsubscribed");
            conn.send(frames::success("unsubscribe", id)).await;
        }
        None => {
            tracing::warn!(subscription = id, "unsubscribe of an unknown subscription");
            let message = format!("no subscription with id {id} on this connection");
            conn.send(frames::failure(
                "unsubscribe",
                id,
                "UnknownOperationError",
                &message,
            ))
            .await;
        }
    }
}

async fn publish(conn: &Conn, id: &str, frame: &Map<String, Value>) {
    match accept_publish(conn, frame).await {
        Ok(successful) => {
            conn.send(frames::publish_success(id, &successful)).await;
        }
        Err((error_type, message)) => {
            tracing::warn!(id, error_type, reason = %message, "publish refused (WebSocket)");
            conn.send(frames::failure("publish", id, error_type, &message))
                .await;
        }
    }
}

async fn accept_publish(
    conn: &Conn,
    frame: &Map<String, Value>,
) -> Result<Vec<publish::PublishedEvent>, (&'static str, String)> {
    let invalid = |e: Error| (e.error_type(), e.to_string());
    let events = &conn.state.config.events;
    let channel = publish::validate_channel(frame, events).map_err(invalid)?;
    let body = json!({"channel": frame.get("channel"), "events": frame.get("events")}).to_string();
    let allowed = events.publish_modes(channel.namespace());
    let subject = subject(
        EventsOperation::Publish,
        &channel,
        allowed,
        frame,
        body.as_bytes(),
    );
    let allowed = conn
        .state
        .authz
        .decide(subject)
        .await
        .map_err(|denial| (denial.error_type(), denial.message().to_owned()))?;
    let events = publish::validate_events(frame).map_err(invalid)?;
    let count = events.len();
    let successful = publish::deliver(
        &conn.state.bus,
        ValidPublish {
            channel: channel.clone(),
            events,
        },
        allowed.mode,
        allowed.signed_region,
    );
    tracing::info!(%channel, events = count, auth_mode = allowed.mode.as_str(), "publish accepted (WebSocket)");
    Ok(successful)
}
