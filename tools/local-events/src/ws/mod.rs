//! `/event/realtime`: the AppSync Events WebSocket protocol.
//!
//! The upgrade always completes (a refused connection is reported in-band with
//! `connection_error`, because some clients hang forever on a failed handshake). The
//! server selects the `aws-appsync-event-ws` subprotocol, and reads the connection's
//! credentials from the `header-<base64url JSON>` subprotocol or, as native clients send
//! them, from the upgrade's own headers.
//!
//! Layout, lower layers first: [`handshake`] reads the credentials of the upgrade;
//! [`frames`] builds what the server sends; [`conn`] is what
//! one connection's handlers share (its subscriptions, its outgoing queue); [`messages`]
//! answers `subscribe`, `unsubscribe` and `publish`; [`connection`] runs one socket (the
//! connect decision, `connection_init`, keep-alives, fan-out, shutdown).

pub mod conn;
pub mod connection;
pub mod frames;
pub mod handshake;
pub mod messages;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::Error;
use crate::publish::MAX_BODY_BYTES;

use handshake::HEADER_PREFIX;
pub use handshake::{ConnectAuth, PROTOCOL, connect_auth};

/// The `GET /event/realtime` handler.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return Error::BadRequest(format!(
                "this is the Events WebSocket endpoint; connect with a WebSocket client offering \
                 the {PROTOCOL} subprotocol ({})",
                rejection.body_text()
            ))
            .into_response();
        }
    };
    let offered: Vec<String> = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if !offered.iter().any(|p| p == PROTOCOL) {
        tracing::warn!(
            offered = %offered.iter().filter(|p| !p.starts_with(HEADER_PREFIX)).cloned().collect::<Vec<_>>().join(","),
            "WebSocket client did not offer the {PROTOCOL} subprotocol: AppSync clients fail without it"
        );
    }
    let auth = connect_auth(&offered, &headers);
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .on_upgrade(move |socket| connection::run(socket, state, auth))
}
