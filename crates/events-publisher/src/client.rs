//! [`Publisher`]: one HTTP client, one endpoint, one signing region; publishes any number
//! of inputs concurrently while keeping each channel's events in order.
//!
//! Scheduling: the requests of one channel form a *lane* and go strictly one after the
//! other; up to [`PublisherSettings::concurrency`] lanes run at once, so at most that many
//! requests are in flight. When a request of a lane finally fails, the lane's later
//! requests are not sent (and are reported), so subscribers never receive a channel's
//! events out of order because of a failure — the caller retries the input as a whole.
//! (Within one request, events that fail inside a `200` are resent after their
//! successors; that is the price of never delivering an event twice.)

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use aws_call::Region;
use aws_credential_types::provider::SharedCredentialsProvider;
use futures::StreamExt;
use tokio::time::Instant;

use crate::batch::{PublishInput, batch_ranges, prepare};
use crate::endpoint::Endpoint;
use crate::error::PublishError;
use crate::outcome::{EventFailure, InputOutcome, PublishReport};
use crate::retry::Backoff;

/// Most per-event failure lines logged by one [`Publisher::publish`] call.
const MAX_FAILURE_LOGS: usize = 20;

/// Tuning of a [`Publisher`]. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherSettings {
    /// Most requests in flight at once (distinct channels). Default 4; at least 1.
    pub concurrency: usize,
    /// Most attempts per request, first one included. Default 4; at least 1.
    pub max_attempts: u32,
    /// Timeout of one attempt, connection included. Default 5 s. An attempt is also cut
    /// short at the deadline.
    pub request_timeout: Duration,
    /// Timeout for establishing a connection. Default 2 s (never more than
    /// `request_timeout`).
    pub connect_timeout: Duration,
    /// Backoff between attempts. Default base 100 ms, max 2 s, full jitter.
    pub backoff: Backoff,
    /// No attempt starts with less time than this before the deadline. Default 100 ms.
    pub min_attempt_time: Duration,
    /// Development only: PEM certificate(s) of the CA that must vouch for the endpoint,
    /// trusted *instead of* the compiled-in Mozilla roots. Default `None` (those roots).
    /// [`Publisher::new`] refuses it unless the endpoint is https on a development host
    /// ([`Endpoint::is_development_host`]: loopback or `host.docker.internal`), so it can
    /// never make a real AppSync endpoint trust a development CA. It exists for local
    /// development against local-events over TLS (`cargo lambda watch`, `sam local invoke`).
    pub development_ca_pem: Option<String>,
}

impl Default for PublisherSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            max_attempts: 4,
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            backoff: Backoff {
                base: Duration::from_millis(100),
                max: Duration::from_secs(2),
            },
            min_attempt_time: Duration::from_millis(100),
            development_ca_pem: None,
        }
    }
}

impl PublisherSettings {
    fn validate(&self) -> Result<(), PublishError> {
        let invalid = |m: &str| Err(PublishError::InvalidSettings(m.to_owned()));
        if self.concurrency == 0 {
            return invalid("concurrency must be at least 1");
        }
        if self.max_attempts == 0 {
            return invalid("max_attempts must be at least 1");
        }
        if self.request_timeout.is_zero() {
            return invalid("request_timeout must be positive");
        }
        Ok(())
    }
}

/// Publishes events to one AppSync Events API, SigV4-signed.
///
/// Build it once (it owns a pooled HTTP client) and share it across invocations.
/// Credentials are asked of the provider for every request, so a caching provider's
/// refreshed credentials are picked up.
pub struct Publisher {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: Endpoint,
    pub(crate) region: Region,
    pub(crate) credentials: SharedCredentialsProvider,
    pub(crate) settings: PublisherSettings,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("endpoint", &self.endpoint.url().as_str())
            .field("region", &self.region)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher for `endpoint`, signing for `region` with `credentials`.
    ///
    /// # Errors
    /// [`PublishError::InvalidSettings`] or [`PublishError::HttpClient`].
    pub fn new(
        endpoint: Endpoint,
        region: Region,
        credentials: SharedCredentialsProvider,
        settings: PublisherSettings,
    ) -> Result<Self, PublishError> {
        settings.validate()?;
        // The compiled-in roots (AppSync's certificates are publicly trusted), or only the
        // development CA; never the system store (outbound_http::mozilla_roots).
        let roots = match &settings.development_ca_pem {
            Some(pem) => development_ca(&endpoint, pem)?,
            None => outbound_http::mozilla_roots()
                .map_err(|e| PublishError::HttpClient(e.to_string()))?,
        };
        let http = reqwest::Client::builder()
            .tls_certs_only(roots)
            .connect_timeout(settings.connect_timeout.min(settings.request_timeout))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_keepalive(Duration::from_secs(30))
            // A redirect would re-send a signed request somewhere else; never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("events-publisher/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PublishError::HttpClient(e.to_string()))?;
        Ok(Self {
            http,
            endpoint,
            region,
            credentials,
            settings,
        })
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The signing region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The settings in use.
    pub fn settings(&self) -> &PublisherSettings {
        &self.settings
    }

    /// Publishes every input, and reports per input what was published and what was not.
    ///
    /// Inputs are validated first; an invalid one is refused whole (nothing of it is sent)
    /// and its events are reported as failures. Valid inputs are sent in requests of at most
    /// five events (see the module docs for ordering and concurrency). Transient failures
    /// are retried while time remains: no attempt starts after
    /// `deadline − min_attempt_time`, and none runs past `deadline`. Never fails as a
    /// whole: everything that went wrong is in the report.
    pub async fn publish<E: serde::Serialize>(
        &self,
        inputs: &[PublishInput<E>],
        deadline: std::time::Instant,
    ) -> PublishReport {
        let deadline = Instant::from_std(deadline);
        let started = Instant::now();
        let mut results: Vec<Vec<Option<Result<(), String>>>> = inputs
            .iter()
            .map(|input| vec![None; input.events.len()])
            .collect();
        let mut refused = vec![None; inputs.len()];
        let mut lanes: Vec<Lane> = Vec::new();
        let mut lane_of: HashMap<String, usize> = HashMap::new();
        for (input_index, input) in inputs.iter().enumerate() {
            let prepared = match prepare(input) {
                Ok(prepared) => prepared,
                Err(error) => {
                    let reason = error.to_string();
                    tracing::warn!(channel = %input.channel, input = input_index, events = input.events.len(), reason = %reason, "input refused; nothing of it was sent");
                    results[input_index].fill(Some(Err(format!("input refused: {reason}"))));
                    refused[input_index] = Some(reason);
                    continue;
                }
            };
            let channel = prepared.channel.as_str().to_owned();
            let lane = *lane_of.entry(channel.clone()).or_insert_with(|| {
                lanes.push(Lane {
                    channel,
                    batches: Vec::new(),
                });
                lanes.len() - 1
            });
            let mut events = prepared.events.into_iter();
            for range in batch_ranges(input.events.len()) {
                lanes[lane].batches.push(Batch {
                    input: input_index,
                    start: range.start,
                    events: events.by_ref().take(range.len()).collect(),
                });
            }
        }

        let lane_results: Vec<LaneResult> = futures::stream::iter(lanes)
            .map(|lane| self.run_lane(lane, deadline))
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;

        let mut report = PublishReport::default();
        for lane in lane_results {
            report.requests += lane.requests;
            report.retries += lane.retries;
            report.request_latencies.extend(lane.latencies);
            for batch in lane.batches {
                for (offset, result) in batch.results.into_iter().enumerate() {
                    if let Some(slot) = results[batch.input].get_mut(batch.start + offset) {
                        *slot = Some(result);
                    }
                }
            }
        }
        report.inputs = inputs
            .iter()
            .zip(results)
            .zip(refused)
            .map(|((input, results), refused)| outcome(input, results, refused))
            .collect();
        let failed = report.failures().count();
        // One line per failure, capped: a refused 10 000-event input must not flood the log.
        for failure in report.failures().take(MAX_FAILURE_LOGS) {
            tracing::warn!(channel = %failure.channel, index = failure.index, reason = %failure.reason, "event not published");
        }
        if failed > MAX_FAILURE_LOGS {
            tracing::warn!(
                more = failed - MAX_FAILURE_LOGS,
                "further events not published (see the report)"
            );
        }
        tracing::info!(
            inputs = inputs.len(),
            events = report.published() + failed,
            published = report.published(),
            failed,
            requests = report.requests,
            retries = report.retries,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "publish finished"
        );
        report
    }

    async fn run_lane(&self, lane: Lane, deadline: Instant) -> LaneResult {
        let mut out = LaneResult::default();
        let mut blocked: Option<String> = None;
        for batch in lane.batches {
            let results = if let Some(reason) = &blocked {
                vec![Err(reason.clone()); batch.events.len()]
            } else {
                let sent = self
                    .send_batch(&lane.channel, &batch.events, deadline)
                    .await;
                out.requests += sent.requests;
                out.retries += sent.requests.saturating_sub(1);
                out.latencies.extend(sent.latencies);
                if sent.results.iter().any(Result::is_err) {
                    blocked = Some(format!(
                        "not sent: an earlier request to {} failed, and sending later events first would reorder the channel",
                        lane.channel
                    ));
                }
                sent.results
            };
            out.batches.push(BatchResult {
                input: batch.input,
                start: batch.start,
                results,
            });
        }
        out
    }
}

/// Consecutive requests of one channel, sent in order.
/// The certificates of [`PublisherSettings::development_ca_pem`], if `endpoint` may use them.
fn development_ca(
    endpoint: &Endpoint,
    pem: &str,
) -> Result<Vec<reqwest::Certificate>, PublishError> {
    let invalid = |m: String| Err(PublishError::InvalidSettings(m));
    if endpoint.url().scheme() != "https" || !endpoint.is_development_host() {
        return invalid(format!(
            "a development CA is only trusted for https on localhost, a loopback address or {}, not for {}",
            crate::endpoint::CONTAINER_HOST_NAME,
            endpoint.url()
        ));
    }
    match reqwest::Certificate::from_pem_bundle(pem.as_bytes()) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => invalid("the development CA holds no PEM certificate".into()),
        Err(e) => invalid(format!("the development CA is not PEM: {e}")),
    }
}

struct Lane {
    channel: String,
    batches: Vec<Batch>,
}

/// One request's events, and where they come from.
struct Batch {
    input: usize,
    start: usize,
    events: Vec<String>,
}

struct BatchResult {
    input: usize,
    start: usize,
    results: Vec<Result<(), String>>,
}

#[derive(Default)]
struct LaneResult {
    batches: Vec<BatchResult>,
    requests: usize,
    retries: usize,
    latencies: Vec<std::time::Duration>,
}

fn outcome<E>(
    input: &PublishInput<E>,
    results: Vec<Option<Result<(), String>>>,
    refused: Option<String>,
) -> InputOutcome {
    let mut published = 0;
    let mut failures = Vec::new();
    for (index, result) in results.into_iter().enumerate() {
        match result {
            Some(Ok(())) => published += 1,
            Some(Err(reason)) => failures.push(EventFailure {
                channel: input.channel.clone(),
                index,
                reason,
            }),
            // Unreachable by construction; reported rather than dropped if it ever happens.
            None => failures.push(EventFailure {
                channel: input.channel.clone(),
                index,
                reason: "not attempted (internal error)".to_owned(),
            }),
        }
    }
    InputOutcome {
        channel: input.channel.clone(),
        published,
        failures,
        refused,
    }
}
