//! What the fake does wrong on command.

use std::time::Duration;

use serde_json::Value;

/// How the next matching request fails. Built from one of the constructors, then refined.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Fault {
    /// Only requests to this channel match (`None`: any).
    pub channel: Option<String>,
    /// How many requests it applies to.
    pub times: u32,
    /// Wait this long before answering (the outcome is recorded on arrival).
    pub delay: Option<Duration>,
    /// The status answered (200 unless set).
    pub status: u16,
    /// The body of a non-200 answer (default: an `InjectedFault` error).
    pub body: Option<Value>,
    /// A `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
    /// Drop the connection with a TCP reset instead of answering.
    pub reset: bool,
    /// With a 200: these event positions are reported in `failed`.
    pub fail_indices: Vec<usize>,
    /// The `errorCode` of those failures (default 500).
    pub error_code: u16,
    /// The `errorMessage` of those failures.
    pub error_message: String,
}

impl Fault {
    fn new(status: u16) -> Self {
        Self {
            channel: None,
            times: 1,
            delay: None,
            status,
            body: None,
            retry_after: None,
            reset: false,
            fail_indices: Vec::new(),
            error_code: 500,
            error_message: "injected event failure".to_owned(),
        }
    }

    /// Answers `status` (with a default error body).
    pub fn status(status: u16) -> Self {
        Self::new(status)
    }

    /// Answers `status` with `{"errors": [{"errorType": error_type, "message": message}]}`,
    /// the shape AppSync's publish errors have.
    pub fn error(status: u16, error_type: &str, message: &str) -> Self {
        Self::new(status)
            .body(serde_json::json!({"errors": [{"errorType": error_type, "message": message}]}))
    }

    /// Resets the connection without answering.
    pub fn reset() -> Self {
        Self {
            reset: true,
            ..Self::new(0)
        }
    }

    /// A 200 that reports the events at `indices` as failed.
    pub fn fail_events(indices: &[usize]) -> Self {
        Self {
            fail_indices: indices.to_vec(),
            ..Self::new(200)
        }
    }

    /// Only for requests to `channel`.
    pub fn on_channel(mut self, channel: &str) -> Self {
        self.channel = Some(channel.to_owned());
        self
    }

    /// For the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// After waiting `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// With this body (a JSON string value is sent as raw text).
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The per-event failures' `errorCode` and `errorMessage`.
    pub fn event_error(mut self, code: u16, message: &str) -> Self {
        self.error_code = code;
        message.clone_into(&mut self.error_message);
        self
    }
}

/// Takes the first fault matching `channel` (one use of it).
pub(super) fn take(faults: &mut Vec<Fault>, channel: &str) -> Option<Fault> {
    let index = faults
        .iter()
        .position(|f| f.channel.as_deref().is_none_or(|c| c == channel))?;
    let fault = &mut faults[index];
    fault.times = fault.times.saturating_sub(1);
    let taken = fault.clone();
    if fault.times == 0 {
        faults.remove(index);
    }
    Some(taken)
}
