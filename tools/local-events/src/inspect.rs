//! `GET /_local/events`: what the endpoint received, for the dev loop and tests.
//!
//! Not part of AppSync's API (hence the `/_local` prefix). Query parameters, all optional:
//! `channel` (a concrete channel or a `/ns/*` wildcard), `after` (only events with a larger
//! `sequence`, for polling), `limit` (default [`DEFAULT_LIMIT`], newest kept).

use appsync_types::ChannelPath;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::bus::ReceivedEvent;
use crate::error::Error;

/// Events returned when no `limit` is given.
pub const DEFAULT_LIMIT: usize = 100;

/// Query parameters of `GET /_local/events`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecentQuery {
    /// Only events on this channel (or matching this wildcard).
    pub channel: Option<String>,
    /// Only events with a sequence number greater than this.
    pub after: Option<u64>,
    /// At most this many events (the newest).
    pub limit: Option<usize>,
}

/// The answer: `{"events": [...]}`, oldest first.
#[derive(Debug, Serialize)]
pub struct RecentEvents {
    /// The matching events.
    pub events: Vec<ReceivedEvent>,
}

/// The `GET /_local/events` handler.
pub async fn recent(
    State(state): State<AppState>,
    query: Result<Query<RecentQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RecentEvents>, Error> {
    let Query(query) = query.map_err(|e| Error::BadRequest(e.body_text()))?;
    let filter = query
        .channel
        .as_deref()
        .map(ChannelPath::parse_lenient)
        .transpose()
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let events = state
        .bus
        .recent(filter.as_ref(), query.after.unwrap_or(0), limit)
        .iter()
        .map(|event| ReceivedEvent::clone(event))
        .collect();
    Ok(Json(RecentEvents { events }))
}
