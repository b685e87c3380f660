//! What the message handlers of one connection share: the endpoint's state, the outgoing
//! frame queue and the connection's subscriptions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use appsync_types::ChannelPath;
use axum::extract::ws::Message;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::AppState;

/// A live subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// What it matches (concrete or `/ns/*`).
    pub channel: ChannelPath,
    /// Only events with a larger bus sequence number are delivered.
    pub after: u64,
    /// When the Lambda-mode token it was authorized with expires (the JWT's `exp`): from
    /// then on nothing is delivered to it and it ends with a `subscribe_error`.
    pub expires: Option<SystemTime>,
}

impl Subscription {
    /// Whether its token has expired at `now`.
    pub fn expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }
}

/// What the message handlers share.
#[derive(Debug, Clone)]
pub struct Conn {
    /// The endpoint's state.
    pub state: AppState,
    /// Outgoing frames.
    pub out: mpsc::Sender<Message>,
    /// Subscriptions by id.
    pub subscriptions: Arc<Mutex<HashMap<String, Subscription>>>,
}

impl Conn {
    /// Queues a JSON frame as one text message. `false` once the socket is gone.
    pub async fn send(&self, frame: Value) -> bool {
        self.out
            .send(Message::Text(frame.to_string().into()))
            .await
            .is_ok()
    }

    /// The subscriptions, even if a handler panicked while holding them.
    pub fn subscriptions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Subscription>> {
        self.subscriptions.lock().unwrap_or_else(|e| e.into_inner())
    }
}
