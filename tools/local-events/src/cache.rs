//! The authorizer answer cache, as AppSync keeps one: an answer is reused for its
//! `ttlOverride` (else the API's `AuthorizerResultTtlInSeconds`) seconds.
//!
//! AppSync does not document the key of the Events cache, so it is configurable
//! ([`CacheKey`]). Tokens are never stored: keys hold a SHA-256 of the token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use appsync_types::EventsOperation;

use crate::config::CacheKey;
use testkit::sigv4::sha256_hex;

/// The most answers kept; beyond it expired answers are dropped, then everything.
pub const MAX_ENTRIES: usize = 10_000;

/// A cached answer and what it was originally given for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedAnswer {
    /// `isAuthorized`.
    pub is_authorized: bool,
    /// `handlerContext`.
    pub handler_context: std::collections::HashMap<String, String>,
    /// The operation the authorizer was asked about.
    pub operation: EventsOperation,
    /// The channel the authorizer was asked about (`None` on connect).
    pub channel: Option<String>,
    /// When it stops being valid.
    pub expires: Instant,
}

/// The cache.
#[derive(Debug)]
pub struct AuthCache {
    key: CacheKey,
    entries: Mutex<HashMap<String, CachedAnswer>>,
}

impl AuthCache {
    /// An empty cache keyed by `key`.
    pub fn new(key: CacheKey) -> Self {
        Self {
            key,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The key kind.
    pub fn key_kind(&self) -> CacheKey {
        self.key
    }

    fn key(&self, token: &str, operation: &EventsOperation, channel: Option<&str>) -> String {
        let token = sha256_hex(token.as_bytes());
        match self.key {
            CacheKey::Token => token,
            CacheKey::TokenOperation => format!("{token} {operation}"),
            CacheKey::TokenOperationChannel => {
                format!("{token} {operation} {}", channel.unwrap_or_default())
            }
        }
    }

    /// A live answer for this request, if cached.
    pub fn get(
        &self,
        token: &str,
        operation: &EventsOperation,
        channel: Option<&str>,
        now: Instant,
    ) -> Option<CachedAnswer> {
        let key = self.key(token, operation, channel);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(&key) {
            Some(answer) if answer.expires > now => Some(answer.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Caches an answer for `ttl` (nothing for a zero ttl).
    pub fn put(&self, token: &str, ttl: Duration, now: Instant, answer: CachedAnswer) {
        if ttl.is_zero() {
            return;
        }
        let key = self.key(token, &answer.operation, answer.channel.as_deref());
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, a| a.expires > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            key,
            CachedAnswer {
                expires: now + ttl,
                ..answer
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(operation: EventsOperation, channel: Option<&str>) -> CachedAnswer {
        CachedAnswer {
            is_authorized: true,
            handler_context: HashMap::new(),
            operation,
            channel: channel.map(str::to_owned),
            expires: Instant::now(),
        }
    }

    #[test]
    fn a_token_key_reuses_a_connect_answer_for_any_operation_and_channel() {
        let cache = AuthCache::new(CacheKey::Token);
        let now = Instant::now();
        cache.put(
            "t",
            Duration::from_secs(60),
            now,
            answer(EventsOperation::Connect, None),
        );
        let hit = cache
            .get("t", &EventsOperation::Subscribe, Some("/default/x"), now)
            .expect("hit");
        assert_eq!(hit.operation, EventsOperation::Connect);
        assert!(
            cache
                .get("other", &EventsOperation::Connect, None, now)
                .is_none()
        );
    }

    #[test]
    fn finer_keys_separate_operations_and_channels() {
        let now = Instant::now();
        let by_op = AuthCache::new(CacheKey::TokenOperation);
        by_op.put(
            "t",
            Duration::from_secs(60),
            now,
            answer(EventsOperation::Subscribe, Some("/a/b")),
        );
        assert!(
            by_op
                .get("t", &EventsOperation::Subscribe, Some("/a/c"), now)
                .is_some()
        );
        assert!(
            by_op
                .get("t", &EventsOperation::Publish, Some("/a/b"), now)
                .is_none()
        );

        let by_channel = AuthCache::new(CacheKey::TokenOperationChannel);
        by_channel.put(
            "t",
            Duration::from_secs(60),
            now,
            answer(EventsOperation::Subscribe, Some("/a/b")),
        );
        assert!(
            by_channel
                .get("t", &EventsOperation::Subscribe, Some("/a/b"), now)
                .is_some()
        );
        assert!(
            by_channel
                .get("t", &EventsOperation::Subscribe, Some("/a/c"), now)
                .is_none()
        );
    }

    #[test]
    fn answers_expire_and_zero_ttl_is_never_cached() {
        let cache = AuthCache::new(CacheKey::Token);
        let now = Instant::now();
        cache.put(
            "zero",
            Duration::ZERO,
            now,
            answer(EventsOperation::Connect, None),
        );
        assert!(
            cache
                .get("zero", &EventsOperation::Connect, None, now)
                .is_none()
        );
        cache.put(
            "t",
            Duration::from_secs(5),
            now,
            answer(EventsOperation::Connect, None),
        );
        assert!(
            cache
                .get(
                    "t",
                    &EventsOperation::Connect,
                    None,
                    now + Duration::from_secs(4)
                )
                .is_some()
        );
        assert!(
            cache
                .get(
                    "t",
                    &EventsOperation::Connect,
                    None,
                    now + Duration::from_secs(5)
                )
                .is_none()
        );
    }
}
