//! Sending one request's events, with retries.
//!
//! Each attempt serializes the events still pending, signs exactly those bytes for the
//! endpoint's `Host` with freshly provided credentials, and posts them. After a `200`,
//! only the events listed in `failed` (and retryable) are pending; events the service
//! confirmed are never sent again.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use http::header::{CONTENT_TYPE, HOST};
use tokio::time::Instant;

use crate::batch::RequestBody;
use crate::client::Publisher;
use crate::response::{FailedEvent, error_message, parse_failed};
use crate::retry::{Disposition, classify, retry_after};
use crate::sign::sign_request;

/// What happened to each event of a request after all attempts.
pub(crate) struct BatchOutcome {
    /// Per event, in order: published, or why not.
    pub results: Vec<Result<(), String>>,
    /// HTTP requests made.
    pub requests: usize,
    /// Time to the response (or the transport error) of each request that was sent.
    pub latencies: Vec<Duration>,
}

enum Attempt {
    /// A 2xx: the events listed here (by position in the request) were not accepted.
    Delivered(Vec<FailedEvent>),
    /// Worth retrying (5xx, 429, transport error, timeout, credentials unavailable).
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Final for every event of the request.
    Permanent(String),
}

impl Publisher {
    pub(crate) async fn send_batch(
        &self,
        channel: &str,
        events: &[String],
        deadline: Instant,
    ) -> BatchOutcome {
        let settings = &self.settings;
        let mut results: Vec<Option<Result<(), String>>> = vec![None; events.len()];
        let mut reasons: Vec<Option<String>> = vec![None; events.len()];
        let mut pending: Vec<usize> = (0..events.len()).collect();
        let mut requests = 0;
        let mut latencies = Vec::new();
        let mut stop = "the deadline was reached before it could be sent".to_owned();
        for attempt in 1..=settings.max_attempts {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining < settings.min_attempt_time {
                if requests > 0 {
                    stop = format!("the deadline was reached after {requests} attempt(s)");
                }
                break;
            }
            let sent: Vec<&str> = pending.iter().map(|&i| events[i].as_str()).collect();
            requests += 1;
            let timeout = settings.request_timeout.min(remaining);
            let mut wait_at_least = None;
            match self
                .attempt(channel, &sent, timeout, attempt, &mut latencies)
                .await
            {
                Attempt::Delivered(failed) => {
                    let mut still = Vec::new();
                    for (position, &event) in pending.iter().enumerate() {
                        match failed.iter().find(|f| f.index == position) {
                            None => results[event] = Some(Ok(())),
                            Some(f) if f.is_retryable() => {
                                reasons[event] = Some(f.reason());
                                still.push(event);
                            }
                            Some(f) => results[event] = Some(Err(f.reason())),
                        }
                    }
                    if let Some(f) = failed.iter().find(|f| f.index >= sent.len()) {
                        tracing::warn!(
                            channel,
                            index = f.index,
                            sent = sent.len(),
                            "service reported a failure for an event index it was not sent; ignored"
                        );
                    }
                    pending = still;
                }
                Attempt::Transient {
                    reason,
                    retry_after,
                } => {
                    for &event in &pending {
                        reasons[event] = Some(reason.clone());
                    }
                    wait_at_least = retry_after;
                }
                Attempt::Permanent(reason) => {
                    for event in pending.drain(..) {
                        results[event] = Some(Err(reason.clone()));
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
            if attempt == settings.max_attempts {
                stop = format!("gave up after {attempt} attempt(s)");
                break;
            }
            let delay = settings
                .backoff
                .delay(attempt - 1)
                .max(wait_at_least.unwrap_or_default());
            if Instant::now() + delay + settings.min_attempt_time > deadline {
                stop =
                    format!("no time left before the deadline to retry after {attempt} attempt(s)");
                break;
            }
            tracing::warn!(
                channel,
                attempt,
                pending = pending.len(),
                delay_ms = delay.as_millis() as u64,
                reason = reasons[pending[0]].as_deref().unwrap_or_default(),
                "retrying publish"
            );
            tokio::time::sleep(delay).await;
        }
        for event in pending {
            let reason = match reasons[event].take() {
                Some(last) => format!("{last} ({stop})"),
                None => format!("not sent: {stop}"),
            };
            results[event] = Some(Err(reason));
        }
        BatchOutcome {
            results: results
                .into_iter()
                .map(|r| r.unwrap_or_else(|| Err("not attempted (internal error)".to_owned())))
                .collect(),
            requests,
            latencies,
        }
    }

    async fn attempt(
        &self,
        channel: &str,
        events: &[&str],
        timeout: Duration,
        attempt: u32,
        latencies: &mut Vec<Duration>,
    ) -> Attempt {
        let body = match serde_json::to_vec(&RequestBody {
            channel,
            events: events.to_vec(),
        }) {
            Ok(body) => body,
            Err(e) => return Attempt::Permanent(format!("cannot serialize the request: {e}")),
        };
        let credentials = match self.credentials.provide_credentials().await {
            Ok(credentials) => credentials,
            Err(e) => {
                return Attempt::Transient {
                    reason: format!("could not load AWS credentials: {e}"),
                    retry_after: None,
                };
            }
        };
        let host = self.endpoint.host_header();
        let url = self.endpoint.url();
        let signed = match sign_request(
            "POST",
            url.as_str(),
            &[("host", host), ("content-type", "application/json")],
            &body,
            &credentials,
            self.region.as_str(),
            SystemTime::now(),
        ) {
            Ok(headers) => headers,
            Err(e) => return Attempt::Permanent(e.to_string()),
        };
        // `Host` is set explicitly to the value that was signed, rather than left for the
        // HTTP stack to derive, so the two cannot disagree.
        let mut request = self
            .http
            .post(url.clone())
            .header(HOST, host)
            .header(CONTENT_TYPE, "application/json")
            .timeout(timeout)
            .body(body);
        for (name, value) in signed {
            request = request.header(name, value);
        }
        let started = Instant::now();
        let result = request.send().await;
        let latency = started.elapsed();
        latencies.push(latency);
        let latency_ms = latency.as_millis() as u64;
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                let reason = transport_reason(&e, timeout);
                tracing::info!(channel, events = events.len(), attempt, latency_ms, error = %reason, "publish request failed");
                return Attempt::Transient {
                    reason,
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        let wait = retry_after(response.headers());
        let body = response.bytes().await;
        // A delivered request is counted in the invocation's summary line ("publish
        // finished"); a line per delivered request at INFO was a large share of a small
        // publish's CPU (BENCHMARKS.md). Anything else is worth its line.
        if status.is_success() {
            tracing::debug!(
                channel,
                events = events.len(),
                attempt,
                status = status.as_u16(),
                latency_ms,
                "publish request"
            );
        } else {
            tracing::info!(
                channel,
                events = events.len(),
                attempt,
                status = status.as_u16(),
                latency_ms,
                "publish request"
            );
        }
        match classify(status) {
            Disposition::Success => match body {
                Ok(body) => match parse_failed(&body) {
                    Ok(failed) => Attempt::Delivered(failed),
                    // The service accepted the request; resending could deliver twice.
                    Err(e) => Attempt::Permanent(e),
                },
                Err(e) => Attempt::Permanent(format!(
                    "HTTP {}: the response body could not be read, so delivery is unknown: {}",
                    status.as_u16(),
                    transport_reason(&e, timeout)
                )),
            },
            Disposition::Retry => Attempt::Transient {
                reason: http_reason(status, body.ok().as_deref()),
                retry_after: wait,
            },
            _ => Attempt::Permanent(http_reason(status, body.ok().as_deref())),
        }
    }
}

fn http_reason(status: http::StatusCode, body: Option<&[u8]>) -> String {
    let status_text = format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    );
    match body.and_then(error_message) {
        Some(message) => format!("{}: {message}", status_text.trim_end()),
        None => status_text.trim_end().to_owned(),
    }
}

/// [`outbound_http::describe`], with the attempt's timeout named when that is what ended it.
fn transport_reason(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("request timed out after {} ms", timeout.as_millis());
    }
    outbound_http::describe(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_reasons_carry_status_and_service_message() {
        assert_eq!(
            http_reason(
                http::StatusCode::FORBIDDEN,
                Some(br#"{"errors":[{"errorType":"UnauthorizedException","message":"no"}]}"#)
            ),
            "HTTP 403 Forbidden: UnauthorizedException: no"
        );
        assert_eq!(
            http_reason(http::StatusCode::BAD_GATEWAY, Some(b"")),
            "HTTP 502 Bad Gateway"
        );
        assert_eq!(
            http_reason(http::StatusCode::from_u16(599).expect("code"), None),
            "HTTP 599"
        );
    }
}
