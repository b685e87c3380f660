//! One WebSocket connection: the connect decision (made as soon as the socket opens),
//! keep-alives, fan-out of published events to this connection's subscriptions, and a
//! clean close on shutdown.
//!
//! Client messages are answered one at a time, in order, so replies come back in the
//! order the client sent its messages. Outgoing frames go through one writer task, so
//! keep-alives and `data` frames are not held up by an authorizer call.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use appsync_types::{ChannelPath, EventsOperation};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, StreamExt};
use tokio::sync::{broadcast, mpsc, watch};
use tracing::Instrument;

use super::conn::{Conn, Subscription};
use super::frames;
use super::handshake::ConnectAuth;
use crate::AppState;
use crate::authz::{Subject, header_pairs};
use crate::bus::ReceivedEvent;
use testkit::sigv4::RequestParts;

/// How often subscriptions are checked for an expired token.
const EXPIRY_CHECK: Duration = Duration::from_millis(250);
/// Frames queued for a client before fan-out waits for it.
const OUT_QUEUE: usize = 1024;
/// How long a refused connection stays open waiting for the client's first message, to
/// answer it with `connection_error` (clients that send `connection_init` get it at once).
const REFUSAL_GRACE: Duration = Duration::from_secs(10);
/// Close code sent after `connection_error` (4xxx are application codes; 4401 mirrors 401).
const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Close code on shutdown ("going away").
const CLOSE_GOING_AWAY: u16 = 1001;

/// The outcome of the connect authorization: `Err((errorType, message))` when refused.
pub type ConnectDecision = Result<(), (&'static str, String)>;

/// Serves one upgraded socket until either side closes it or the endpoint shuts down.
pub async fn run(socket: WebSocket, state: AppState, auth: Result<ConnectAuth, String>) {
    let id = crate::bus::new_identifier();
    let span = tracing::info_span!("ws", conn = %&id[..8]);
    serve(socket, state, auth).instrument(span).await;
}

async fn serve(socket: WebSocket, state: AppState, auth: Result<ConnectAuth, String>) {
    let _guard = state.connections.open();
    let (sink, mut stream) = socket.split();
    let (out, out_rx) = mpsc::channel(OUT_QUEUE);
    let writer = tokio::spawn(write(sink, out_rx).in_current_span());
    match &auth {
        Ok(auth) => tracing::info!(credentials_from = auth.source, "connection opened"),
        Err(reason) => tracing::info!(%reason, "connection opened with unreadable credentials"),
    }

    let (decision_tx, mut decision) = watch::channel::<Option<ConnectDecision>>(None);
    tokio::spawn(
        {
            let state = state.clone();
            async move {
                let _ = decision_tx.send(Some(authorize_connect(&state, auth).await));
            }
        }
        .in_current_span(),
    );
    let conn = Conn {
        state: state.clone(),
        out: out.clone(),
        subscriptions: Arc::default(),
    };
    let mut feed = None;
    let mut shutdown = state.shutdown.clone();
    let mut refusal_decision = decision.clone();
    let refusal_deadline = async move {
        if decided(&mut refusal_decision).await.is_err() {
            tokio::time::sleep(REFUSAL_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(refusal_deadline);

    loop {
        tokio::select! {
            message = stream.next() => match message {
                None | Some(Err(_)) => {
                    tracing::info!("connection dropped by the client");
                    break;
                }
                Some(Ok(Message::Text(text))) => {
                    if let Err(refusal) = decided(&mut decision).await {
                        refuse(&conn, refusal).await;
                        break;
                    }
                    if feed.is_none() {
                        let events = state.bus.subscribe();
                        feed = Some(tokio::spawn(fan_out(conn.clone(), events, state.config.keepalive).in_current_span()));
                    }
                    super::messages::handle(&conn, text.as_str()).await;
                }
                Some(Ok(Message::Binary(_))) => {
                    conn.send(frames::error(None, "BadRequestException", "frames must be text (JSON)")).await;
                }
                Some(Ok(Message::Close(frame))) => {
                    tracing::info!(code = frame.as_ref().map(|f| f.code), "connection closed by the client");
                    break;
                }
                Some(Ok(_)) => {}
            },
            () = &mut refusal_deadline => {
                if let Err(refusal) = decided(&mut decision).await {
                    refuse(&conn, refusal).await;
                }
                break;
            }
            () = async { let _ = shutdown.wait_for(|stopping| *stopping).await; } => {
                let _ = out.send(close(CLOSE_GOING_AWAY, "local-events is shutting down")).await;
                break;
            }
        }
    }
    if let Some(feed) = feed {
        feed.abort();
    }
    let subscriptions = conn.subscriptions().len();
    drop(conn);
    drop(out);
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    tracing::info!(subscriptions, "connection ended");
}

/// Waits for the connect decision.
pub async fn decided(decision: &mut watch::Receiver<Option<ConnectDecision>>) -> ConnectDecision {
    match decision.wait_for(Option::is_some).await {
        Ok(value) => value.clone().unwrap_or(Ok(())),
        Err(_) => Err((
            "UnauthorizedException",
            "the connection could not be authorized".into(),
        )),
    }
}

async fn authorize_connect(state: &AppState, auth: Result<ConnectAuth, String>) -> ConnectDecision {
    let auth = auth.map_err(|reason| ("BadRequestException", reason))?;
    let subject = Subject {
        operation: EventsOperation::Connect,
        channel: None,
        allowed: &state.config.events.connect,
        // An IAM-signed connect signs `POST /event` with the body `{}`.
        parts: RequestParts {
            method: "POST",
            path: "/event",
            query: "",
            headers: header_pairs(&auth.headers),
            body: b"{}",
        },
        request_headers: auth.headers,
    };
    // Always UnauthorizedException for a refused connect: clients do not retry it.
    state
        .authz
        .decide(subject)
        .await
        .map(|_| ())
        .map_err(|denial| ("UnauthorizedException", denial.message().to_owned()))
}

/// Answers with `connection_error` and closes.
async fn refuse(conn: &Conn, (error_type, message): (&'static str, String)) {
    tracing::info!(error_type, reason = %message, "connection refused: connection_error sent");
    conn.send(frames::connection_error(error_type, &message))
        .await;
    let _ = conn
        .out
        .send(close(CLOSE_UNAUTHORIZED, "Unauthorized"))
        .await;
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Sends queued frames; stops after a close frame or when every sender is gone.
async fn write(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut frames: mpsc::Receiver<Message>,
) {
    while let Some(message) = frames.recv().await {
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Ends the subscriptions whose token has expired: removed, then answered with a
/// `subscribe_error` (`UnauthorizedException`) so the client knows to subscribe again.
/// `false` once the socket is gone.
async fn end_expired(conn: &Conn) -> bool {
    let now = SystemTime::now();
    let ended: Vec<(String, Subscription)> = {
        let mut subscriptions = conn.subscriptions();
        let ids: Vec<String> = subscriptions
            .iter()
            .filter(|(_, s)| s.expired(now))
            .map(|(id, _)| id.clone())
            .collect();
        ids.into_iter()
            .filter_map(|id| subscriptions.remove(&id).map(|s| (id, s)))
            .collect()
    };
    for (id, subscription) in ended {
        tracing::info!(subscription = %id, channel = %subscription.channel, "subscription ended: its token expired");
        let message = "the token this subscription was authorized with has expired; \
                       subscribe again with a fresh token before it expires";
        if !conn
            .send(frames::failure(
                "subscribe",
                &id,
                "UnauthorizedException",
                message,
            ))
            .await
        {
            return false;
        }
    }
    true
}

/// Keep-alives every `keepalive`, one `data` frame per published event per matching
/// subscription, and the end of subscriptions whose token expired.
async fn fan_out(
    conn: Conn,
    mut events: broadcast::Receiver<Arc<ReceivedEvent>>,
    keepalive: Duration,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    let mut expiry = tokio::time::interval(EXPIRY_CHECK);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if !conn.send(frames::ka()).await {
                    break;
                }
            }
            _ = expiry.tick() => {
                if !end_expired(&conn).await {
                    break;
                }
            }
            event = events.recv() => match event {
                Ok(event) => {
                    let Ok(channel) = ChannelPath::parse(&event.channel) else { continue };
                    let now = SystemTime::now();
                    let targets: Vec<String> = conn
                        .subscriptions()
                        .iter()
                        .filter(|(_, s)| event.sequence > s.after && s.channel.matches(&channel) && !s.expired(now))
                        .map(|(id, _)| id.clone())
                        .collect();
                    for id in targets {
                        tracing::debug!(subscription = %id, channel = %event.channel, sequence = event.sequence, "data sent");
                        if !conn.send(frames::data(&id, &event.event)).await {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "this connection fell behind: events were dropped for it");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }
}
