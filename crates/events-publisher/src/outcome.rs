//! What a publish call reports: per input, how many events were published and why the
//! others were not. Every event of every input is accounted for — published or failed —
//! so a caller can never lose one silently.

use serde::Serialize;

/// One event that was not confirmed published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventFailure {
    /// The channel of its input, as given.
    pub channel: String,
    /// Index of the event within its input's `events`.
    pub index: usize,
    /// Why (an HTTP status and the service's message, a transport error, a validation
    /// error, or the deadline). Never contains credentials.
    pub reason: String,
}

/// The result for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputOutcome {
    /// The channel, as given.
    pub channel: String,
    /// Events confirmed published.
    pub published: usize,
    /// Events not confirmed, in index order.
    pub failures: Vec<EventFailure>,
    /// Set when the whole input was refused before sending (bad channel, oversize event);
    /// then every event is also in `failures`.
    pub refused: Option<String>,
}

impl InputOutcome {
    /// Whether every event of the input was published and the input was not refused.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty() && self.refused.is_none()
    }
}

/// The result of [`Publisher::publish`](crate::Publisher::publish), one entry per input in
/// input order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishReport {
    /// Per input, in the order given.
    pub inputs: Vec<InputOutcome>,
    /// HTTP requests made (including retries).
    pub requests: usize,
    /// Of those, how many were retries.
    pub retries: usize,
    /// Time to the response (or the transport error) of each request sent, for metrics.
    pub request_latencies: Vec<std::time::Duration>,
}

impl PublishReport {
    /// Total events confirmed published.
    pub fn published(&self) -> usize {
        self.inputs.iter().map(|i| i.published).sum()
    }

    /// All failures, input by input.
    pub fn failures(&self) -> impl Iterator<Item = &EventFailure> {
        self.inputs.iter().flat_map(|i| i.failures.iter())
    }

    /// Whether every input is complete.
    pub fn is_complete(&self) -> bool {
        self.inputs.iter().all(InputOutcome::is_complete)
    }
}
