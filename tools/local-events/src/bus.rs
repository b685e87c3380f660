//! The event bus: every accepted event is broadcast to live subscribers and kept in a
//! bounded in-memory log.
//!
//! Subscribers (WebSocket connections) read the broadcast; a
//! subscriber that falls more than [`BROADCAST_CAPACITY`] events behind misses the oldest
//! ones (`RecvError::Lagged`), as a slow AppSync subscriber would, instead of slowing down
//! publishers. The log keeps the last `history` events for `GET /_local/events`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use appsync_types::ChannelPath;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many events a live subscriber may fall behind before it misses some.
pub const BROADCAST_CAPACITY: usize = 1024;

/// One event accepted by the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReceivedEvent {
    /// Increases by one per event, from 1, in the order events were accepted.
    pub sequence: u64,
    /// The identifier returned to the publisher in `successful[].identifier`.
    pub identifier: String,
    /// The channel it was published to, with its leading `/`.
    pub channel: String,
    /// Its index in the publish request's `events` array.
    pub index: usize,
    /// The event exactly as published: a JSON-encoded string.
    pub event: String,
    /// The auth mode of the publish (`AWS_IAM`, `AWS_LAMBDA`).
    pub auth_mode: &'static str,
    /// For `AWS_IAM`, the region in the request's credential scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_region: Option<String>,
    /// When it was accepted, in milliseconds since the Unix epoch.
    pub received_at_ms: u64,
}

/// What a publish hands to the bus for one event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NewEvent {
    /// The validated channel.
    pub channel: ChannelPath,
    /// Index in the request.
    pub index: usize,
    /// The JSON-encoded event.
    pub event: String,
    /// See [`ReceivedEvent::auth_mode`].
    pub auth_mode: &'static str,
    /// See [`ReceivedEvent::signed_region`].
    pub signed_region: Option<String>,
}

impl NewEvent {
    /// An event for `channel` at `index`, published with `auth_mode`.
    pub fn new(channel: ChannelPath, index: usize, event: String, auth_mode: &'static str) -> Self {
        Self {
            channel,
            index,
            event,
            auth_mode,
            signed_region: None,
        }
    }

    /// Records the region of the request's SigV4 credential scope.
    pub fn signed_for(mut self, region: Option<String>) -> Self {
        self.signed_region = region;
        self
    }
}

/// Broadcast fan-out plus a bounded log of recent events.
#[derive(Debug)]
pub struct Bus {
    sender: broadcast::Sender<Arc<ReceivedEvent>>,
    log: Mutex<VecDeque<Arc<ReceivedEvent>>>,
    history: usize,
    sequence: AtomicU64,
}

impl Bus {
    /// A bus that keeps the last `history` events (at least one).
    pub fn new(history: usize) -> Self {
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        let history = history.max(1);
        Self {
            sender,
            log: Mutex::new(VecDeque::with_capacity(history.min(1024))),
            history,
            sequence: AtomicU64::new(0),
        }
    }

    /// Accepts one event: assigns its sequence number and identifier, logs it and
    /// broadcasts it. Returns what was stored.
    pub fn publish(&self, new: NewEvent) -> Arc<ReceivedEvent> {
        // A poisoned lock only means another request panicked mid-push; the deque is still
        // consistent, so keep serving. Numbering and broadcasting under the lock keeps the
        // broadcast in sequence order, which subscriptions rely on (see `last_sequence`).
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let received = Arc::new(ReceivedEvent {
            sequence: self.sequence.fetch_add(1, Ordering::Relaxed) + 1,
            identifier: new_identifier(),
            channel: new.channel.as_str().to_owned(),
            index: new.index,
            event: new.event,
            auth_mode: new.auth_mode,
            signed_region: new.signed_region,
            received_at_ms: now_ms(),
        });
        if log.len() == self.history {
            log.pop_front();
        }
        log.push_back(received.clone());
        // No live subscriber is not an error: the event is still in the log.
        let _ = self.sender.send(received.clone());
        received
    }

    /// The sequence number of the last accepted event (0 before the first). A subscription
    /// made now receives exactly the events numbered above it.
    pub fn last_sequence(&self) -> u64 {
        let _log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        self.sequence.load(Ordering::Relaxed)
    }

    /// A live feed of events accepted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ReceivedEvent>> {
        self.sender.subscribe()
    }

    /// Up to `limit` of the most recent events (oldest first) whose channel `filter`
    /// matches (a concrete channel or a `/ns/*` wildcard), and with a sequence number
    /// greater than `after`.
    pub fn recent(
        &self,
        filter: Option<&ChannelPath>,
        after: u64,
        limit: usize,
    ) -> Vec<Arc<ReceivedEvent>> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let mut matching: Vec<_> = log
            .iter()
            .rev()
            .filter(|e| e.sequence > after)
            .filter(|e| match filter {
                None => true,
                Some(f) => ChannelPath::parse(&e.channel).is_ok_and(|c| f.matches(&c)),
            })
            .take(limit)
            .cloned()
            .collect();
        matching.reverse();
        matching
    }
}

/// A random identifier shaped like a version-4 UUID, as AppSync returns. Uniqueness within
/// one development session is all it needs; it is not a secret.
pub fn new_identifier() -> String {
    let hi = fastrand::u64(..);
    let lo = fastrand::u64(..);
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(path: &str) -> ChannelPath {
        ChannelPath::parse(path).expect("valid channel")
    }

    fn event(path: &str, index: usize) -> NewEvent {
        NewEvent::new(
            channel(path),
            index,
            format!("{{\"n\":{index}}}"),
            "AWS_IAM",
        )
    }

    #[test]
    fn log_keeps_only_the_most_recent_events() {
        let bus = Bus::new(3);
        for i in 0..5 {
            bus.publish(event("/default/a", i));
        }
        let recent = bus.recent(None, 0, 100);
        let sequences: Vec<u64> = recent.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, [3, 4, 5]);
    }

    #[test]
    fn recent_filters_by_channel_wildcard_sequence_and_limit() {
        let bus = Bus::new(100);
        bus.publish(event("/default/a", 0));
        bus.publish(event("/default/b/c", 1));
        bus.publish(event("/other/a", 2));
        bus.publish(event("/default/a", 3));

        let wildcard = channel("/default/*");
        let indexes = |v: Vec<Arc<ReceivedEvent>>| v.iter().map(|e| e.index).collect::<Vec<_>>();
        assert_eq!(indexes(bus.recent(Some(&wildcard), 0, 100)), [0, 1, 3]);
        assert_eq!(
            indexes(bus.recent(Some(&channel("/default/a")), 0, 100)),
            [0, 3]
        );
        assert_eq!(indexes(bus.recent(None, 2, 100)), [2, 3]);
        assert_eq!(
            indexes(bus.recent(None, 0, 2)),
            [2, 3],
            "limit keeps the newest"
        );
    }

    #[tokio::test]
    async fn subscribers_receive_events_published_after_they_subscribe() {
        let bus = Bus::new(10);
        bus.publish(event("/default/before", 0));
        let mut feed = bus.subscribe();
        let stored = bus.publish(event("/default/after", 1));
        let received = feed.recv().await.expect("event broadcast");
        assert_eq!(received, stored);
        assert_eq!(received.channel, "/default/after");
    }

    #[test]
    fn identifiers_are_uuid_shaped_and_distinct() {
        let a = new_identifier();
        let b = new_identifier();
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{a}");
        assert_eq!(&a[14..15], "4", "version nibble: {a}");
    }
}
