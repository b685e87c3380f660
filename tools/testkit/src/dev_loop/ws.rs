//! A raw Events WebSocket client.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::LocalEvents;

/// A raw Events WebSocket client.
#[derive(Debug)]
pub struct Ws {
    socket: WebSocketStream<TcpStream>,
    /// The subprotocol the server selected.
    pub protocol: Option<String>,
}

/// The `{Authorization, host}` object Amplify sends in Lambda mode.
pub fn auth(token: &str, authority: &str) -> Value {
    json!({"Authorization": token, "host": authority})
}

impl Ws {
    /// Connects to `events` with Amplify's subprotocols (auth in `header-…`).
    pub async fn connect(events: &LocalEvents, token: &str) -> Self {
        let header = URL_SAFE_NO_PAD.encode(auth(token, events.authority()).to_string());
        Self::connect_with(events, &format!("aws-appsync-event-ws, header-{header}")).await
    }

    /// Connects offering exactly `protocols`.
    pub async fn connect_with(events: &LocalEvents, protocols: &str) -> Self {
        Self::upgrade(events, protocols, &[]).await
    }

    /// Connects as native (Swift) clients do: only the protocol, credentials as headers.
    pub async fn connect_with_headers(events: &LocalEvents, headers: &[(&str, &str)]) -> Self {
        Self::upgrade(events, "aws-appsync-event-ws", headers).await
    }

    async fn upgrade(events: &LocalEvents, protocols: &str, headers: &[(&str, &str)]) -> Self {
        let mut request = format!("ws://{}/event/realtime", events.authority())
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            protocols.parse().expect("header value"),
        );
        for (name, value) in headers {
            let name: tokio_tungstenite::tungstenite::http::HeaderName =
                name.parse().expect("name");
            request
                .headers_mut()
                .insert(name, value.parse().expect("header value"));
        }
        let tcp = TcpStream::connect(events.authority())
            .await
            .expect("tcp connect");
        let (socket, response) = tokio_tungstenite::client_async(request, tcp)
            .await
            .expect("the upgrade completes");
        let protocol = response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().expect("ascii").to_owned());
        Self { socket, protocol }
    }

    /// Sends `frame` as one text message.
    pub async fn send(&mut self, frame: Value) {
        self.socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send");
    }

    /// Sends `message` as it is.
    pub async fn send_raw(&mut self, message: Message) {
        self.socket.send(message).await.expect("send");
    }

    /// The next frame (text parsed as JSON; a close frame as `{"close": code}`), or `None`
    /// after `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let frame = tokio::time::timeout(wait, async {
            loop {
                match self.socket.next().await {
                    Some(Ok(Message::Text(text))) => {
                        return serde_json::from_str(text.as_str()).expect("text frames are JSON");
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return json!({"close": frame.map(|f| u16::from(f.code))});
                    }
                    Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return json!({"close": null}),
                }
            }
        })
        .await;
        frame.ok()
    }

    /// The next frame that is not a `ka` (within 10 s).
    pub async fn next(&mut self) -> Value {
        loop {
            let frame = self
                .next_within(Duration::from_secs(10))
                .await
                .expect("a frame within 10 s");
            if frame["type"] != "ka" {
                return frame;
            }
        }
    }

    /// No frame but `ka` for `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.next_within(left).await {
                Some(frame) if frame["type"] == "ka" => {}
                Some(frame) => panic!("unexpected frame: {frame}"),
                None => return,
            }
        }
    }

    /// `connection_init`, expecting `connection_ack` then `ka`.
    pub async fn init(&mut self) -> Value {
        self.send(json!({"type": "connection_init"})).await;
        let ack = self
            .next_within(Duration::from_secs(10))
            .await
            .expect("ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ack
    }

    /// Subscribes `id` to `channel` with `token`; returns the answer frame.
    pub async fn subscribe(
        &mut self,
        id: &str,
        channel: &str,
        token: &str,
        authority: &str,
    ) -> Value {
        self.send(json!({"type": "subscribe", "id": id, "channel": channel, "authorization": auth(token, authority)}))
            .await;
        self.next().await
    }

    /// Closes the socket.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
