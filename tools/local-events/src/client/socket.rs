//! The WebSocket side of the terminal client: connect as AppSync clients do (URL
//! `<endpoint>/event/realtime`, subprotocols `aws-appsync-event-ws` and
//! `header-<base64url({Authorization, host})>`), `connection_init`, then subscribe or
//! publish.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::{ANSWER_TIMEOUT, Request, client_error, write_line};
use crate::error::Error;
use crate::ws::PROTOCOL;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Socket = WebSocketStream<Box<dyn Io>>;

/// `host:port` of the endpoint origin.
fn authority(endpoint: &str) -> &str {
    endpoint.split("://").nth(1).unwrap_or(endpoint)
}

fn auth_headers(request: &Request) -> Value {
    let mut headers = json!({"host": authority(&request.endpoint)});
    if let Some(token) = &request.token {
        headers["Authorization"] = json!(token);
    }
    headers
}

async fn connect(request: &Request) -> Result<Socket, Error> {
    let authority = authority(&request.endpoint);
    let tls = request.endpoint.starts_with("https://");
    let tcp = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| {
            client_error(format!(
                "cannot connect to {authority}: {e} (is local-events running?)"
            ))
        })?;
    let stream: Box<dyn Io> = if tls {
        let pem = std::fs::read(&request.ca).map_err(|e| {
            client_error(format!(
                "cannot read the CA {}: {e} (see --ca)",
                request.ca.display()
            ))
        })?;
        let mut roots = rustls::RootCertStore::empty();
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| client_error(format!("the CA is not PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| client_error(format!("the CA is not usable: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| client_error(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let host = authority
            .rsplit_once(':')
            .map_or(authority, |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| client_error(format!("{host} is not a TLS server name: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| client_error(format!("TLS handshake with {authority} failed: {e}")))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let scheme = if tls { "wss" } else { "ws" };
    let mut handshake = format!("{scheme}://{authority}/event/realtime")
        .into_client_request()
        .map_err(|e| client_error(format!("bad endpoint: {e}")))?;
    let header = URL_SAFE_NO_PAD.encode(auth_headers(request).to_string());
    let protocols = HeaderValue::from_str(&format!("{PROTOCOL}, header-{header}"))
        .map_err(|e| client_error(format!("bad token: {e}")))?;
    handshake
        .headers_mut()
        .insert("sec-websocket-protocol", protocols);
    let (mut socket, _) = tokio_tungstenite::client_async(handshake, stream)
        .await
        .map_err(|e| client_error(format!("WebSocket handshake failed: {e}")))?;
    send(&mut socket, json!({"type": "connection_init"})).await?;
    let ack = next_frame(&mut socket, |f| {
        matches!(
            f["type"].as_str(),
            Some("connection_ack" | "connection_error")
        )
    })
    .await?;
    if ack["type"] != "connection_ack" {
        return Err(client_error(format!(
            "connection refused: {}",
            describe_errors(&ack)
        )));
    }
    tracing::info!(endpoint = %request.endpoint, "connected");
    Ok(socket)
}

async fn send(socket: &mut Socket, frame: Value) -> Result<(), Error> {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .map_err(|e| client_error(format!("sending failed: {e}")))
}

/// The next text frame satisfying `wanted` (others, such as `ka`, are skipped), within
/// [`ANSWER_TIMEOUT`].
async fn next_frame(socket: &mut Socket, wanted: impl Fn(&Value) -> bool) -> Result<Value, Error> {
    tokio::time::timeout(ANSWER_TIMEOUT, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                    if wanted(&frame) {
                        return Ok(frame);
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(client_error(format!(
                        "the endpoint closed the connection ({frame:?})"
                    )));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(client_error(format!("connection failed: {e}"))),
                None => return Err(client_error("the endpoint closed the connection")),
            }
        }
    })
    .await
    .map_err(|_| client_error(format!("no answer within {} s", ANSWER_TIMEOUT.as_secs())))?
}

fn describe_errors(frame: &Value) -> String {
    let error = &frame["errors"][0];
    format!(
        "{}: {}",
        error["errorType"].as_str().unwrap_or("error"),
        error["message"].as_str().unwrap_or("(no message)")
    )
}

/// Subscribes and writes each event (the JSON the publisher sent) as one line.
pub async fn subscribe(
    request: &Request,
    out: &mut (dyn std::io::Write + Send),
) -> Result<(), Error> {
    let mut socket = connect(request).await?;
    let id = crate::bus::new_identifier();
    let frame = json!({"type": "subscribe", "id": id, "channel": request.channel, "authorization": auth_headers(request)});
    send(&mut socket, frame).await?;
    let answer = next_frame(&mut socket, |f| f["id"] == id.as_str()).await?;
    if answer["type"] != "subscribe_success" {
        return Err(client_error(format!(
            "subscribe refused: {}",
            describe_errors(&answer)
        )));
    }
    tracing::info!(channel = %request.channel, "subscribed; events follow on stdout");
    let mut received = 0;
    while let Some(message) = socket.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(frame)) => {
                return Err(client_error(format!(
                    "the endpoint closed the connection ({frame:?})"
                )));
            }
            Ok(_) => continue,
            Err(e) => return Err(client_error(format!("connection failed: {e}"))),
        };
        let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        if frame["type"] == "data" && frame["id"] == id.as_str() {
            write_line(out, frame["event"].as_str().unwrap_or_default())?;
            received += 1;
            if request.count.is_some_and(|n| received >= n) {
                let _ = socket.close(None).await;
                return Ok(());
            }
        }
    }
    Err(client_error("the endpoint closed the connection"))
}

/// Publishes over the WebSocket and writes the answer frame.
pub async fn publish(
    request: &Request,
    out: &mut (dyn std::io::Write + Send),
) -> Result<(), Error> {
    let mut socket = connect(request).await?;
    let id = crate::bus::new_identifier();
    let frame = json!({
        "type": "publish",
        "id": id,
        "channel": request.channel,
        "events": request.events,
        "authorization": auth_headers(request),
    });
    send(&mut socket, frame).await?;
    let answer = next_frame(&mut socket, |f| f["id"] == id.as_str()).await?;
    write_line(out, &answer.to_string())?;
    let _ = socket.close(None).await;
    if answer["type"] == "publish_success" {
        Ok(())
    } else {
        Err(client_error(format!(
            "publish refused: {}",
            describe_errors(&answer)
        )))
    }
}
