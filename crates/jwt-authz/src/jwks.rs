//! The JWKS cache: keys fetched once, served from memory, refreshed under a policy.
//!
//! - **Warm path without I/O**: a fresh set is read under a short `RwLock` read; no
//!   network, no await on a lock that a fetch holds.
//! - **Unknown `kid`**: one refetch, then at most one per [`JwksPolicy::unknown_kid_cooldown`]
//!   however many different unknown kids arrive (a storm of random kids costs one fetch).
//! - **Single flight**: fetches are serialised by an async mutex; callers that waited for a
//!   fetch somebody else completed use its result instead of fetching again.
//! - **Maximum age**: a set older than [`JwksPolicy::max_age`] is refreshed before use, so a
//!   revoked key stops verifying within that bound (Supabase asks for at most 20 minutes).
//! - **Stale if error**: while refreshes fail, the last good set keeps serving for
//!   [`JwksPolicy::stale_if_error`] past its maximum age, then keys are unavailable. While
//!   another caller's refresh of an expired set is in flight, the last good set is served
//!   instead of queueing behind it (the fetch is bounded by the fetcher's timeout anyway).
//! - **Failure backoff**: after a failed fetch, no new attempt for
//!   [`JwksPolicy::failure_backoff`]; an empty cache (JWKS unreachable at cold start)
//!   recovers on its own with the first request after that.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::Algorithm;
use serde::Deserialize;
use url::Url;

use crate::fetch::{Fetcher, parse_fetch_url};
use crate::keys::{Jwk, SkipReason, VerifyingKey};
use crate::{Denial, Error};

/// The most keys kept from one key set.
const MAX_KEYS: usize = 64;

/// Refresh policy of a [`JwksCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksPolicy {
    /// Age after which the set is refreshed before use. Default 10 minutes.
    pub max_age: Duration,
    /// How long past `max_age` the last good set is served while refreshes fail. Default 1 hour.
    pub stale_if_error: Duration,
    /// Minimum time between refetches caused by an unknown `kid`. Default 10 s.
    pub unknown_kid_cooldown: Duration,
    /// Minimum time between a failed fetch and the next attempt. Default 2 s.
    pub failure_backoff: Duration,
}

impl Default for JwksPolicy {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(600),
            stale_if_error: Duration::from_secs(3600),
            unknown_kid_cooldown: Duration::from_secs(10),
            failure_backoff: Duration::from_secs(2),
        }
    }
}

/// Where the key set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A configured JWKS URL.
    Jwks(Url),
    /// OIDC discovery: `<issuer>/.well-known/openid-configuration`, whose `issuer` must equal
    /// ours, names the JWKS URL.
    Discovery {
        /// The discovery document URL.
        url: Url,
        /// The issuer the document must declare.
        issuer: String,
    },
}

/// A key the set publishes that cannot be used, and why (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// The JWK `kid`, if any.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: SkipReason,
}

impl fmt::Display for SkippedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kid {
            Some(kid) => write!(f, "kid {kid:?}: {}", self.reason),
            None => write!(f, "key without kid: {}", self.reason),
        }
    }
}

/// A parsed key set.
///
/// Keys that cannot be used are kept by `kid` and reason ([`skipped`](Self::skipped)), so
/// a token naming one is denied as [`Denial::KeyUnusable`] rather than `unknown_kid`, and
/// the operator is told why at WARN — once per load: when the set has no usable key, at
/// parse time; when a token names a `kid` that only skipped keys carry, on the first such
/// request.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
    skipped: Vec<SkippedKey>,
    /// Whether this load already logged the WARN about unusable keys.
    warned: AtomicBool,
}

impl KeySet {
    /// Parses a JWKS document, keeping the usable signature keys.
    pub fn parse(body: &[u8], url: &Url) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_json::from_slice(body).map_err(|e| Error::Document {
            url: url.to_string(),
            message: format!("not a JWKS document ({e})"),
        })?;
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for value in doc.keys.into_iter() {
            let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
                tracing::debug!(%url, "skipping a key that is not a JWK object");
                continue;
            };
            match jwk.to_verifying_key() {
                Ok(key) if keys.len() < MAX_KEYS => keys.push(Arc::new(key)),
                Ok(_) => {
                    tracing::warn!(%url, max = MAX_KEYS, "key set has too many keys; extra keys ignored")
                }
                Err(reason) => {
                    tracing::debug!(%url, kid = jwk.kid(), %reason, "skipping key");
                    if skipped.len() < MAX_KEYS {
                        skipped.push(SkippedKey {
                            kid: jwk.kid().map(str::to_owned),
                            reason,
                        });
                    }
                }
            }
        }
        let set = Self {
            keys,
            skipped,
            warned: AtomicBool::new(false),
        };
        if set.keys.is_empty() {
            set.warned.store(true, Ordering::Relaxed);
            if set.skipped.is_empty() {
                tracing::warn!(%url, "key set has no keys; every token is denied (unknown_kid) until it has");
            } else {
                tracing::warn!(
                    %url,
                    skipped = %set.describe_skipped(None),
                    "key set has no usable key; every token is denied (key_unusable) until it has"
                );
            }
        }
        Ok(set)
    }

    /// Builds a set from keys directly (static or shared-secret keys).
    pub fn from_keys(keys: Vec<VerifyingKey>) -> Self {
        Self {
            keys: keys.into_iter().map(Arc::new).collect(),
            ..Self::default()
        }
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no usable keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.keys.iter().map(Arc::as_ref)
    }

    /// The keys that were published but cannot be used, in document order.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// `kid "a": reason; kid "b": reason` for the skipped keys (all, or those with `kid`).
    fn describe_skipped(&self, kid: Option<&str>) -> String {
        self.skipped
            .iter()
            .filter(|s| kid.is_none() || s.kid.as_deref() == kid)
            .map(SkippedKey::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The key for `kid` and `alg`. Without a `kid`, the set must hold exactly one key.
    ///
    /// Some providers publish one `kid` for several keys (e.g. an RSA and an EC key): the
    /// first key with that `kid` bound to `alg` is used, and `alg` is refused only if no
    /// key with that `kid` allows it.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<&Arc<VerifyingKey>, Denial> {
        let key = match kid {
            Some(kid) => {
                let mut named = self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid));
                let Some(first) = named.clone().next() else {
                    return Err(self.unusable(kid));
                };
                named.find(|k| k.allows(alg)).unwrap_or(first)
            }
            None => match self.keys.as_slice() {
                [only] => only,
                [] if !self.skipped.is_empty() => return Err(Denial::KeyUnusable),
                [] => return Err(Denial::UnknownKid),
                _ => return Err(Denial::KidMissing),
            },
        };
        if key.allows(alg) {
            Ok(key)
        } else {
            Err(Denial::AlgorithmNotAllowed)
        }
    }

    /// The denial for a `kid` no usable key carries: [`Denial::KeyUnusable`] (with one
    /// WARN per load) when a skipped key carries it, else [`Denial::UnknownKid`].
    fn unusable(&self, kid: &str) -> Denial {
        if !self.skipped.iter().any(|s| s.kid.as_deref() == Some(kid)) {
            return Denial::UnknownKid;
        }
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                kid,
                skipped = %self.describe_skipped(Some(kid)),
                "a token names a key the key set publishes but that cannot be used; denied as key_unusable"
            );
        }
        Denial::KeyUnusable
    }
}

#[derive(Debug)]
struct Loaded {
    set: Arc<KeySet>,
    at: Instant,
}

#[derive(Debug, Default)]
struct RefreshState {
    jwks_url: Option<Url>,
    /// The last refetch caused by an unknown `kid` (the cooldown counts from it, so a key
    /// published right after a scheduled fetch is still picked up at once).
    last_kid_refresh: Option<Instant>,
    last_failure: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Empty,
    Expired,
    UnknownKid,
}

/// A self-refreshing key set for one issuer.
#[derive(Debug)]
pub struct JwksCache {
    source: KeySource,
    fetcher: Arc<dyn Fetcher>,
    policy: JwksPolicy,
    current: RwLock<Option<Loaded>>,
    refresh: tokio::sync::Mutex<RefreshState>,
    generation: AtomicU64,
    fetches: AtomicU64,
    failures: AtomicU64,
}

impl JwksCache {
    /// An empty cache; nothing is fetched until [`prefetch`](Self::prefetch) or first use.
    pub fn new(source: KeySource, fetcher: Arc<dyn Fetcher>, policy: JwksPolicy) -> Self {
        Self {
            source,
            fetcher,
            policy,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            generation: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    /// Fetches the key set now (at init). A failure is logged and leaves the cache empty:
    /// the cold start must not fail because the identity provider is unreachable.
    pub async fn prefetch(&self) -> Result<usize, Error> {
        let generation = self.generation.load(Ordering::Acquire);
        self.refresh(Trigger::Empty, generation)
            .await
            .map_err(|e| {
                e.unwrap_or_else(|| Error::Fetch {
                    url: self.source_url().to_string(),
                    message: "not attempted: the previous attempt failed moments ago".into(),
                })
            })?;
        Ok(self.snapshot().map(|(set, _)| set.len()).unwrap_or(0))
    }

    /// How many fetch attempts this cache has made (discovery and JWKS), for metrics/tests.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// How many key-set loads failed (unreachable, refused, not a key set), for metrics.
    pub fn failure_count(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Where the keys come from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The key set now in memory, if one was loaded.
    pub fn current(&self) -> Option<Arc<KeySet>> {
        self.snapshot().map(|(set, _)| set)
    }

    fn snapshot(&self) -> Option<(Arc<KeySet>, Instant)> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(|l| (l.set.clone(), l.at))
    }

    /// The key that verifies a token with this `kid` and `alg`, refreshing per the policy.
    pub async fn key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, Denial> {
        let generation = self.generation.load(Ordering::Acquire);
        let now = Instant::now();
        match self.snapshot() {
            Some((set, at)) if now.duration_since(at) < self.policy.max_age => {
                match set.find(kid, alg) {
                    Err(Denial::UnknownKid) => {
                        if self.refresh(Trigger::UnknownKid, generation).await.is_err() {
                            return Err(Denial::UnknownKid);
                        }
                        self.find_in_current(kid, alg)
                    }
                    found => found.cloned(),
                }
            }
            Some((set, at)) => {
                let usable_stale =
                    now.duration_since(at) < self.policy.max_age + self.policy.stale_if_error;
                if usable_stale && self.refresh.try_lock().is_err() {
                    // Somebody is refreshing right now: answer from the last good set
                    // rather than wait for their fetch.
                    return set.find(kid, alg).cloned();
                }
                if self.refresh(Trigger::Expired, generation).await.is_ok() {
                    return self.find_in_current(kid, alg);
                }
                if usable_stale {
                    tracing::debug!(kid, "serving a stale key set while refreshes fail");
                    set.find(kid, alg).cloned()
                } else {
                    Err(Denial::KeysUnavailable)
                }
            }
            None => {
                self.refresh(Trigger::Empty, generation)
                    .await
                    .map_err(|_| Denial::KeysUnavailable)?;
                self.find_in_current(kid, alg)
            }
        }
    }

    fn find_in_current(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, Denial> {
        let (set, _) = self.snapshot().ok_or(Denial::KeysUnavailable)?;
        set.find(kid, alg).cloned()
    }

    /// Fetches a new set unless somebody else just did, or the policy says not yet
    /// (`Err(None)`); a failed fetch is `Err(Some(error))`.
    async fn refresh(&self, trigger: Trigger, seen_generation: u64) -> Result<(), Option<Error>> {
        let mut state = self.refresh.lock().await;
        if self.generation.load(Ordering::Acquire) != seen_generation {
            return Ok(()); // another caller refreshed while we waited
        }
        let now = Instant::now();
        let within = |t: Option<Instant>, d: Duration| t.is_some_and(|t| now.duration_since(t) < d);
        if within(state.last_failure, self.policy.failure_backoff) {
            return Err(None);
        }
        if trigger == Trigger::UnknownKid {
            if within(state.last_kid_refresh, self.policy.unknown_kid_cooldown) {
                return Err(None);
            }
            state.last_kid_refresh = Some(now);
        }
        match self.fetch(&mut state).await {
            Ok(set) => {
                tracing::info!(keys = set.len(), trigger = ?trigger, url = %self.display_url(&state), "key set loaded");
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Loaded {
                    set: Arc::new(set),
                    at: Instant::now(),
                });
                self.generation.fetch_add(1, Ordering::AcqRel);
                state.last_failure = None;
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, trigger = ?trigger, "key set refresh failed");
                self.failures.fetch_add(1, Ordering::Relaxed);
                state.last_failure = Some(Instant::now());
                Err(Some(error))
            }
        }
    }

    /// The configured URL (the JWKS URL, or the discovery document's).
    fn source_url(&self) -> &Url {
        match &self.source {
            KeySource::Jwks(url) | KeySource::Discovery { url, .. } => url,
        }
    }

    fn display_url(&self, state: &RefreshState) -> String {
        state
            .jwks_url
            .as_ref()
            .map(Url::to_string)
            .unwrap_or_default()
    }

    async fn fetch(&self, state: &mut RefreshState) -> Result<KeySet, Error> {
        let jwks_url = match (&state.jwks_url, &self.source) {
            (Some(url), _) => url.clone(),
            (None, KeySource::Jwks(url)) => url.clone(),
            (None, KeySource::Discovery { url, issuer }) => self.discover(url, issuer).await?,
        };
        state.jwks_url = Some(jwks_url.clone());
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let body = self.fetcher.get(&jwks_url).await?;
        KeySet::parse(&body, &jwks_url)
    }

    async fn discover(&self, url: &Url, issuer: &str) -> Result<Url, Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        discover(self.fetcher.as_ref(), url, issuer).await
    }
}

/// OIDC discovery: fetches the document at `url`, checks that it declares `issuer`
/// exactly, and returns its `jwks_uri` (held to the same rules as a configured JWKS URL).
pub async fn discover(fetcher: &dyn Fetcher, url: &Url, issuer: &str) -> Result<Url, Error> {
    #[derive(Deserialize)]
    struct Discovery {
        issuer: String,
        jwks_uri: String,
    }
    let body = fetcher.get(url).await?;
    let doc: Discovery = serde_json::from_slice(&body).map_err(|e| Error::Document {
        url: url.to_string(),
        message: format!("not an OpenID discovery document ({e})"),
    })?;
    if doc.issuer != issuer {
        return Err(Error::Document {
            url: url.to_string(),
            message: format!("declares issuer {:?}, expected {issuer:?}", doc.issuer),
        });
    }
    parse_fetch_url("jwks_uri", &doc.jwks_uri)
}
