//! One request's answer: the signature checked, the publish validated, a fault applied.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::{Delivery, PublishRequest, State, fault};
use crate::sigv4::{self, Authorization, DevCredentials, Refusal, RequestParts};

/// AppSync's publish limits.
const MAX_EVENTS: usize = 5;
const MAX_EVENT_BYTES: usize = 240 * 1024;
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. \
     Consult the service documentation for details.";

/// The service failed on purpose: hyper closes the connection without answering.
#[derive(Debug)]
pub(super) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset on command")
    }
}

impl std::error::Error for ResetConnection {}

type Answer = Result<Response<Full<Bytes>>, ResetConnection>;

/// A signature refusal: status, `x-amzn-ErrorType`, message.
struct Denied(u16, &'static str, String);

pub(super) async fn answer(
    state: Arc<State>,
    reset: Arc<AtomicBool>,
    request: Request<Incoming>,
) -> Answer {
    let (head, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let parts = RequestParts {
        method: head.method.as_str(),
        path: head.uri.path(),
        query: head.uri.query().unwrap_or(""),
        headers,
        body: &body,
    };
    match (&head.method, head.uri.path()) {
        (&Method::POST, "/event") => publish(&state, &reset, &parts).await,
        (&Method::GET, path) if path.starts_with("/v2/apis/") => {
            Ok(get_api(&state, &parts, &path["/v2/apis/".len()..]))
        }
        (&Method::POST, _) => Ok(json_response(
            404,
            &json!({"errors": [{"errorType": "NotFoundException", "message": "Not Found"}]}),
            &[],
        )),
        _ => Ok(json_response(404, &json!({"message": "Not Found"}), &[])),
    }
}

async fn publish(state: &State, reset: &AtomicBool, parts: &RequestParts<'_>) -> Answer {
    let mut entry = PublishRequest {
        channel: None,
        events: Vec::new(),
        status: 0,
        accepted: false,
        reason: None,
        security_token: parts.header("x-amz-security-token").map(str::to_owned),
        failed_indices: Vec::new(),
    };
    if let Err(Denied(status, kind, message)) = verify(state, parts) {
        let first_line = message.lines().next().unwrap_or_default();
        entry.status = status;
        entry.reason = Some(format!("{kind}: {first_line}"));
        record(state, entry, Vec::new());
        let body = json!({"errors": [{"errorType": kind, "message": message}]});
        return Ok(json_response(status, &body, &[]));
    }
    entry.accepted = true;
    let (channel, events) = match validate(parts.body) {
        Ok(valid) => valid,
        Err(message) => {
            entry.status = 400;
            entry.reason = Some(format!("BadRequestException: {message}"));
            record(state, entry, Vec::new());
            let body =
                json!({"errors": [{"errorType": "BadRequestException", "message": message}]});
            return Ok(json_response(400, &body, &[]));
        }
    };
    entry.channel = Some(channel.clone());
    entry.events.clone_from(&events);

    // The outcome is decided and recorded when the request arrives (the moment AppSync
    // would act on it); an injected delay is waited out afterwards.
    let fault = fault::take(&mut state.faults.lock().expect("lock"), &channel);
    let status = fault.as_ref().map_or(200, |f| f.status);
    let fail: &[usize] = match &fault {
        Some(f) if status == 200 => &f.fail_indices,
        _ => &[],
    };
    let (mut successful, mut failed, mut delivered) = (Vec::new(), Vec::new(), Vec::new());
    if status == 200 {
        for (index, event) in events.iter().enumerate() {
            let identifier = format!("{:032x}", fastrand::u128(..));
            if fail.contains(&index) {
                let f = fault.as_ref().expect("fail indices come from a fault");
                failed.push(json!({"identifier": identifier, "index": index,
                                   "errorCode": f.error_code, "errorMessage": f.error_message}));
            } else {
                successful.push(json!({"identifier": identifier, "index": index}));
                delivered.push(Delivery {
                    channel: channel.clone(),
                    event: event.clone(),
                });
            }
        }
    }
    entry.status = status;
    entry.reason = fault.as_ref().map(|_| "fault".to_owned());
    entry.failed_indices = fail.to_vec();
    record(state, entry, delivered);
    let Some(fault) = fault else {
        return Ok(json_response(
            200,
            &json!({"successful": successful, "failed": failed}),
            &[],
        ));
    };
    if let Some(delay) = fault.delay {
        tokio::time::sleep(delay).await;
    }
    if fault.reset {
        reset.store(true, Ordering::SeqCst);
        return Err(ResetConnection);
    }
    if status == 200 {
        return Ok(json_response(
            200,
            &json!({"successful": successful, "failed": failed}),
            &[],
        ));
    }
    let body = fault.body.unwrap_or_else(|| {
        json!({"errors": [{"errorType": "InjectedFault", "message": format!("injected {status}")}]})
    });
    let retry_after = fault.retry_after.map(|s| s.to_string());
    let extra: Vec<(&str, &str)> = retry_after
        .as_deref()
        .map(|s| ("retry-after", s))
        .into_iter()
        .collect();
    Ok(json_response(status, &body, &extra))
}

fn record(state: &State, entry: PublishRequest, delivered: Vec<Delivery>) {
    state.requests.lock().expect("lock").push(entry);
    state.delivered.lock().expect("lock").extend(delivered);
}

/// `GetApi`: the API's HTTP and realtime domains, both this fake.
fn get_api(state: &State, parts: &RequestParts<'_>, api_id: &str) -> Response<Full<Bytes>> {
    if let Err(Denied(status, kind, message)) = verify(state, parts) {
        return json_response(
            status,
            &json!({"message": message}),
            &[("x-amzn-errortype", kind)],
        );
    }
    if state.config.api_id.as_deref() != Some(api_id) {
        return json_response(
            404,
            &json!({"message": format!("API {api_id} not found")}),
            &[("x-amzn-errortype", "NotFoundException")],
        );
    }
    let port = state.addr.port();
    json_response(
        200,
        &json!({"api": {"apiId": api_id, "name": "fake-events",
                        "dns": {"HTTP": format!("http://127.0.0.1:{port}"),
                                "REALTIME": format!("ws://127.0.0.1:{port}")}}}),
        &[],
    )
}

/// The signature and the session token, refused in AWS's words.
fn verify(state: &State, parts: &RequestParts<'_>) -> Result<(), Denied> {
    let config = &state.config;
    let invalid = |message: String| Denied(403, "InvalidSignatureException", message);
    let unrecognized = || {
        Denied(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".to_owned(),
        )
    };
    if parts.header("authorization").is_none() {
        return Err(Denied(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".to_owned(),
        ));
    }
    let credentials = DevCredentials {
        access_key_id: config.access_key_id.clone(),
        secret_access_key: config.secret_access_key.clone(),
    };
    let verified = match sigv4::verify(parts, &credentials, &config.region, SystemTime::now()) {
        Ok(verified) => verified,
        Err(Refusal::UnknownAccessKey) => return Err(unrecognized()),
        Err(Refusal::Service { .. }) => {
            return Err(invalid(format!(
                "Credential should be scoped to correct service: '{}'. ",
                sigv4::SERVICE
            )));
        }
        Err(Refusal::Region { signed, .. }) => {
            return Err(invalid(format!(
                "Credential should be scoped to a valid region, not '{signed}'. "
            )));
        }
        Err(Refusal::Skew { .. }) => {
            return Err(invalid("Signature expired or not yet valid".to_owned()));
        }
        Err(Refusal::Signature { .. }) => {
            // Like AWS, the canonical request computed here, session token and all.
            return Err(invalid(format!(
                "{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{}'\n",
                unredacted_canonical_request(parts)
            )));
        }
        Err(other) => return Err(invalid(other.to_string())),
    };
    if let Some(token) = &config.session_token {
        if !verified
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-security-token")
        {
            return Err(invalid(
                "Signed headers must include ['x-amz-security-token']".to_owned(),
            ));
        }
        if parts.header("x-amz-security-token") != Some(token) {
            return Err(unrecognized());
        }
    }
    Ok(())
}

fn unredacted_canonical_request(parts: &RequestParts<'_>) -> String {
    let signed = Authorization::parse(parts.header("authorization").unwrap_or_default())
        .map(|auth| auth.signed_headers)
        .unwrap_or_default();
    let signed: Vec<&str> = signed.iter().map(String::as_str).collect();
    let payload_hash = parts
        .header("x-amz-content-sha256")
        .map_or_else(|| sigv4::sha256_hex(parts.body), str::to_owned);
    sigv4::canonical_request(parts, &signed, &payload_hash)
}

/// The channel and the events (parsed), or AppSync-like text.
fn validate(body: &[u8]) -> Result<(String, Vec<Value>), String> {
    let document: Value =
        serde_json::from_slice(body).map_err(|_| "Request body is not valid JSON".to_owned())?;
    let channel = document.get("channel").and_then(Value::as_str);
    let Some(channel) = channel.filter(|c| c.starts_with('/') && !c.contains('*')) else {
        return Err(format!("Invalid channel {:?}", document.get("channel")));
    };
    let events = document
        .get("events")
        .and_then(Value::as_array)
        .filter(|e| (1..=MAX_EVENTS).contains(&e.len()))
        .ok_or("events must be a list of 1 to 5 items")?;
    let mut parsed = Vec::with_capacity(events.len());
    for event in events {
        let text = event
            .as_str()
            .ok_or("Each event must be a JSON-encoded string")?;
        if text.len() > MAX_EVENT_BYTES {
            return Err("Event exceeds 240 KB".to_owned());
        }
        parsed.push(
            serde_json::from_str(text).map_err(|_| "Each event must be valid JSON".to_owned())?,
        );
    }
    Ok((channel.to_owned(), parsed))
}

fn json_response(status: u16, body: &Value, extra: &[(&str, &str)]) -> Response<Full<Bytes>> {
    let text = match body {
        Value::String(raw) => raw.clone(),
        other => other.to_string(),
    };
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json");
    for (name, value) in extra {
        response = response.header(*name, *value);
    }
    response
        .body(Full::new(Bytes::from(text)))
        .expect("a valid response")
}
