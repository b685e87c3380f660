//! Tokens verified recently, so the same token presented again skips the signature math.
//!
//! With channel rules, AppSync invokes the authorizer for every subscribe and publish, each
//! time with the connection's token, and checking its signature is most of a warm
//! invocation's work (BENCHMARKS.md). An entry is made only for a token that passed every
//! check, and using one re-runs every check whose outcome can change:
//! - the key is looked up again exactly as for a new token (algorithm allow-list, `kid`
//!   rules, key-set refresh, staleness and outages), and the entry counts only if that
//!   lookup returns the very key object that verified the token. A refreshed, rotated or
//!   withdrawn key set therefore means a full verification again, or a deny;
//! - the registered claims (`exp`, `nbf`, `iat`, `aud`, `sub`) and the profile checks
//!   run again against the current clock.
//!
//! What is skipped is what cannot change for the same bytes: base64url and JSON parsing
//! and the signature. Entries are keyed by the whole token text, compared in full (no
//! digest that two tokens could share), and bounded in number; a token is at most
//! [`MAX_TOKEN_LEN`](crate::extract::MAX_TOKEN_LEN) bytes. When the cache is full, an
//! arbitrary entry makes room. Only tokens that verified are ever stored, so filling it
//! takes valid tokens.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use crate::Algorithm;
use serde_json::{Map, Value};

use crate::keys::VerifyingKey;

/// Default number of entries.
pub(crate) const DEFAULT_CAPACITY: usize = 512;
/// The largest number of entries accepted in configuration.
pub(crate) const MAX_CAPACITY: usize = 16_384;

/// What verifying a token established, kept to verify it again cheaply.
#[derive(Debug)]
pub(crate) struct Recent {
    /// Index of the issuer that verified it.
    pub issuer: usize,
    /// The header's `kid` and `alg`, to look the key up again the same way.
    pub kid: Option<String>,
    pub alg: Algorithm,
    /// The key object that verified the signature.
    pub key: Arc<VerifyingKey>,
    /// The verified claims.
    pub claims: Arc<Map<String, Value>>,
}

/// How many trailing bytes of a token are hashed: all signature (an ES256 signature is 86
/// characters), so distinct tokens differ there; equality still compares the whole text.
const HASHED_TAIL: usize = 64;

/// SipHash with a random key (std's `RandomState`) over the last [`HASHED_TAIL`] bytes of
/// each write, so a 1–4 KB token costs one short hash per lookup rather than one over all
/// of its bytes. Only verified tokens are ever inserted, so no one can fill a bucket with
/// chosen collisions; a lookup for a token sharing a tail is one failed comparison.
#[derive(Debug, Default, Clone)]
struct TailHash(RandomState);

#[derive(Debug)]
struct TailHasher(std::hash::DefaultHasher);

impl BuildHasher for TailHash {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0
            .write(&bytes[bytes.len().saturating_sub(HASHED_TAIL)..]);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

type Entries = HashMap<Arc<str>, Arc<Recent>, TailHash>;

/// A bounded map from token text to what verifying it established.
#[derive(Debug)]
pub(crate) struct RecentTokens {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl RecentTokens {
    /// A cache of at most `capacity` tokens; 0 turns it off.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::with_hasher(TailHash::default())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for exactly this token, if any.
    pub(crate) fn get(&self, token: &str) -> Option<Arc<Recent>> {
        if self.capacity == 0 {
            return None;
        }
        self.lock().get(token).cloned()
    }

    /// Records a verified token, making room if needed.
    pub(crate) fn insert(&self, token: &str, recent: Recent) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity
            && !entries.contains_key(token)
            && let Some(victim) = entries.keys().next().cloned()
        {
            entries.remove(&victim);
        }
        entries.insert(token.into(), Arc::new(recent));
    }

    /// Forgets a token (its key changed, or it no longer passes the checks).
    pub(crate) fn remove(&self, token: &str) {
        if self.capacity > 0 {
            self.lock().remove(token);
        }
    }

    /// Entries held now.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(n: usize) -> Recent {
        Recent {
            issuer: n,
            kid: None,
            alg: Algorithm::HS256,
            key: Arc::new(VerifyingKey::shared_secret(
                &[7; 32],
                vec![Algorithm::HS256],
            )),
            claims: Arc::new(Map::new()),
        }
    }

    #[test]
    fn never_holds_more_than_its_capacity() {
        let cache = RecentTokens::new(3);
        for n in 0..10 {
            cache.insert(&format!("token-{n}"), recent(n));
            assert!(cache.len() <= 3);
        }
        assert!(cache.get("token-9").is_some(), "the newest entry is kept");
        cache.insert("token-9", recent(99));
        assert_eq!(cache.len(), 3, "replacing an entry evicts nothing");
        assert_eq!(cache.get("token-9").map(|r| r.issuer), Some(99));
    }

    #[test]
    fn matches_whole_tokens_only() {
        let cache = RecentTokens::new(4);
        cache.insert("aaa.bbb.ccc", recent(1));
        assert!(cache.get("aaa.bbb.cc").is_none());
        assert!(cache.get("aaa.bbb.cccd").is_none());
        assert!(cache.get("aaa.bbb.ccc").is_some());
        cache.remove("aaa.bbb.ccc");
        assert!(cache.get("aaa.bbb.ccc").is_none());
    }

    #[test]
    fn tokens_sharing_the_hashed_tail_stay_apart() {
        let tail = "s".repeat(HASHED_TAIL * 2);
        let (a, b) = (format!("aaa.bbb.{tail}"), format!("xxx.yyy.{tail}"));
        let cache = RecentTokens::new(4);
        cache.insert(&a, recent(1));
        assert!(cache.get(&b).is_none(), "same tail, another token");
        cache.insert(&b, recent(2));
        assert_eq!(cache.get(&a).map(|r| r.issuer), Some(1));
        assert_eq!(cache.get(&b).map(|r| r.issuer), Some(2));
    }

    #[test]
    fn capacity_zero_stores_nothing() {
        let cache = RecentTokens::new(0);
        cache.insert("aaa.bbb.ccc", recent(1));
        assert!(cache.get("aaa.bbb.ccc").is_none());
        assert_eq!(cache.len(), 0);
    }
}
