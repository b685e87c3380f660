//! When to retry, and how long to wait.
//!
//! Transient failures — 5xx, 429, connection errors, timeouts — are retried with
//! exponential backoff and full jitter (a uniformly random delay in
//! `[0, min(max, base × 2^retry)]`), so that many invocations failing together do not
//! retry in lockstep. Other 4xx mean the request itself is wrong and are final. The caller
//! bounds everything by its deadline.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// What to do after an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Disposition {
    /// 2xx: read the body for per-event failures.
    Success,
    /// 5xx or 429: try again later.
    Retry,
    /// Anything else (4xx, unexpected 1xx/3xx): report, do not retry.
    Permanent,
}

/// Classifies an HTTP status.
pub(crate) fn classify(status: StatusCode) -> Disposition {
    if status.is_success() {
        Disposition::Success
    } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        Disposition::Retry
    } else {
        Disposition::Permanent
    }
}

/// Exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay ceiling before the first retry; doubles for each further retry.
    pub base: Duration,
    /// Largest delay ceiling.
    pub max: Duration,
}

impl Backoff {
    /// The ceiling for retry number `retry` (0 for the first retry): `min(max, base·2^retry)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// A random delay in `[0, ceiling(retry)]`.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_with(retry, |ceiling_ms| fastrand::u64(0..=ceiling_ms))
    }

    /// [`delay`](Self::delay) with the random draw injected (it receives the ceiling in ms).
    pub fn delay_with(&self, retry: u32, draw: impl FnOnce(u64) -> u64) -> Duration {
        let ceiling_ms = u64::try_from(self.ceiling(retry).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(draw(ceiling_ms).min(ceiling_ms))
    }
}

/// Largest `Retry-After` honoured; a longer one is treated as this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A `Retry-After` given in seconds (the HTTP-date form is ignored), capped at
/// [`MAX_RETRY_AFTER`].
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn server_errors_and_throttling_are_retried_other_client_errors_are_not() {
        for code in [500, 502, 503, 504, 429] {
            assert_eq!(
                classify(StatusCode::from_u16(code).expect("code")),
                Disposition::Retry,
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 413, 301] {
            assert_eq!(
                classify(StatusCode::from_u16(code).expect("code")),
                Disposition::Permanent,
                "{code}"
            );
        }
        assert_eq!(classify(StatusCode::OK), Disposition::Success);
    }

    #[test]
    fn backoff_ceiling_doubles_up_to_the_max() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let ceilings: Vec<_> = (0..6).map(|r| b.ceiling(r).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn jitter_is_full_range_and_never_exceeds_the_ceiling() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.delay_with(2, |_| 0), Duration::ZERO);
        assert_eq!(b.delay_with(2, |c| c), Duration::from_millis(400));
        assert_eq!(b.delay_with(2, |_| u64::MAX), Duration::from_millis(400));
        for _ in 0..100 {
            assert!(b.delay(3) <= Duration::from_millis(800));
        }
    }

    #[test]
    fn retry_after_seconds_are_honoured_and_capped() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }
}
