//! The verification pipeline: extraction → header → issuer selection → key → signature →
//! registered claims → issuer profile.
//!
//! The payload is parsed strictly (a duplicate member anywhere is a deny, see
//! `jws::parse_json_strict`) before anything is read from it.
//!
//! The token's **unverified** `iss` only selects which issuer's configuration verifies it;
//! nothing else from an unverified token influences how it is verified (the algorithm
//! must be in that issuer's allow-list and bound to the key, and key URLs in the header
//! are ignored).
//!
//! A token seen again soon (AppSync's subscribes and publishes under channel rules) is
//! answered from [`recent`](crate::recent): the key lookup and every claim check run
//! again, only parsing and the signature are skipped.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::claims::{Lifetime, claim_at};
use crate::extract::TokenExtractor;
use crate::issuer::{Dependencies, Issuer};
use crate::jws;
use crate::recent::{self, Recent, RecentTokens};
use crate::{AuthorizerConfig, Denial, Error};

/// A token that passed every check.
#[derive(Debug)]
pub struct Verified<'a> {
    /// The issuer that verified it.
    pub issuer: &'a Issuer,
    /// The token's claims (shared with the recent-token cache).
    pub claims: Arc<Map<String, Value>>,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
    /// Answered from the recent-token cache: every check re-run but parsing and the signature.
    pub recent: bool,
}

impl Verified<'_> {
    /// The flat string map passed to handlers (`handlerContext`) or resolvers
    /// (`resolverContext`): `sub`, `iss` and the issuer's context claims. Strings are copied
    /// as they are, numbers and booleans as their JSON text, arrays of scalars joined with
    /// commas, objects as JSON text; absent and `null` claims are left out.
    pub fn context(&self) -> HashMap<String, String> {
        let mut context = HashMap::with_capacity(self.issuer.context_claims.len());
        for name in &self.issuer.context_claims {
            let Some(value) = claim_at(&self.claims, name) else {
                continue;
            };
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s.clone(),
                Value::Bool(_) | Value::Number(_) | Value::Object(_) => value.to_string(),
                Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
                    items
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                }
                Value::Array(_) => value.to_string(),
            };
            context.insert(name.clone(), text);
        }
        context
    }

    /// Seconds the token still lives at `now` (0 when at or past `exp`).
    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }
}

/// Verifies tokens against a set of issuers.
#[derive(Debug)]
pub struct Verifier {
    extractor: TokenExtractor,
    issuers: Vec<Arc<Issuer>>,
    recent: RecentTokens,
}

impl Verifier {
    /// Compiles the issuers and token wrappers of `config`.
    pub fn new(config: &AuthorizerConfig, deps: &Dependencies) -> Result<Self, Error> {
        if config.issuers.is_empty() {
            return Err(Error::config(
                "issuers",
                "no issuer configured: list at least one",
            ));
        }
        let mut issuers: Vec<Arc<Issuer>> = Vec::with_capacity(config.issuers.len());
        for (index, issuer) in config.issuers.iter().enumerate() {
            let compiled = Issuer::compile(index, issuer, deps)?;
            if issuers.iter().any(|i| i.iss == compiled.iss) {
                return Err(Error::config(
                    format!("issuers[{index}].issuer"),
                    format!("{:?} is configured twice", compiled.iss),
                ));
            }
            issuers.push(Arc::new(compiled));
        }
        let extractor =
            TokenExtractor::new(config.token_prefixes.clone(), config.token_suffixes.clone());
        let capacity = config
            .verified_token_cache
            .unwrap_or(recent::DEFAULT_CAPACITY);
        if capacity > recent::MAX_CAPACITY {
            return Err(Error::config(
                "verifiedTokenCache",
                format!(
                    "{capacity} is above the maximum of {} entries",
                    recent::MAX_CAPACITY
                ),
            ));
        }
        Ok(Self {
            extractor,
            issuers,
            recent: RecentTokens::new(capacity),
        })
    }

    /// Tokens held by the recent-token cache now.
    pub fn recent_tokens(&self) -> usize {
        self.recent.len()
    }

    /// Key-set load attempts and failures so far, summed over issuers (for metrics: a
    /// few atomic loads, no lock).
    pub fn key_set_counts(&self) -> (u64, u64) {
        self.issuers
            .iter()
            .fold((0, 0), |(fetches, failures), issuer| {
                (
                    fetches + issuer.fetch_count(),
                    failures + issuer.fetch_failure_count(),
                )
            })
    }

    /// The configured issuers.
    pub fn issuers(&self) -> &[Arc<Issuer>] {
        &self.issuers
    }

    /// The compact JWS inside a raw `authorizationToken`, once the configured prefixes and
    /// suffixes (and a `Bearer ` scheme) are removed, or why there is none: the first step
    /// of [`verify`](Self::verify).
    pub fn extract<'a>(&self, raw: &'a str) -> Result<&'a str, Denial> {
        self.extractor.extract(raw)
    }

    /// Loads every issuer's keys now (init); failures are logged, never fatal.
    pub async fn prefetch(&self) {
        futures::future::join_all(self.issuers.iter().map(|i| i.prefetch())).await;
    }

    /// Verifies a raw `authorizationToken` at `now` (seconds since the epoch).
    pub async fn verify(&self, raw: &str, now: u64) -> Result<Verified<'_>, Denial> {
        let token = self.extractor.extract(raw)?;
        if let Some(recent) = self.recent.get(token) {
            match self.reverify(&recent, now).await {
                Ok(Some(verified)) => return Ok(verified),
                // The key set changed since: verify this token afresh.
                Ok(None) => self.recent.remove(token),
                Err(denial) => {
                    self.recent.remove(token);
                    return Err(denial);
                }
            }
        }
        let (verified, recent) = self.verify_fresh(token, now).await?;
        self.recent.insert(token, recent);
        Ok(verified)
    }

    /// Every check of [`verify_fresh`](Self::verify_fresh) that can change for the same
    /// token bytes. `Ok(None)`: the key lookup no longer returns the key that verified it.
    async fn reverify(&self, recent: &Recent, now: u64) -> Result<Option<Verified<'_>>, Denial> {
        let issuer = self
            .issuers
            .get(recent.issuer)
            .ok_or(Denial::UnknownIssuer)?;
        let key = issuer.key(recent.kid.as_deref(), recent.alg).await?;
        if !Arc::ptr_eq(&key, &recent.key) {
            return Ok(None);
        }
        let lifetime = claims_hold(issuer, &recent.claims, now)?;
        Ok(Some(Verified {
            issuer,
            claims: recent.claims.clone(),
            expires_at: lifetime.expires_at,
            recent: true,
        }))
    }

    /// The whole pipeline on an extracted compact JWS.
    async fn verify_fresh(&self, token: &str, now: u64) -> Result<(Verified<'_>, Recent), Denial> {
        let parsed = jws::parse(token)?;
        // Strict: a duplicate claim (`"role":"authenticated","role":"service_role"`) is a
        // deny, never "last one wins".
        let claims = parsed.claims()?;
        let iss = match claims.get("iss") {
            Some(Value::String(iss)) => iss.as_str(),
            None | Some(Value::Null) => return Err(Denial::UnknownIssuer),
            Some(_) => return Err(Denial::ClaimInvalid),
        };
        let (index, issuer) = self
            .issuers
            .iter()
            .enumerate()
            .find(|(_, i)| i.iss == iss)
            .ok_or(Denial::UnknownIssuer)?;
        let key = issuer.key(parsed.kid(), parsed.alg()).await?;
        // A signature that does not even decode is a bad signature, like one that fails.
        let signature = parsed.signature()?;
        if !key.verify(parsed.alg, parsed.signing_input.as_bytes(), &signature) {
            return Err(Denial::BadSignature);
        }
        let lifetime = claims_hold(issuer, &claims, now)?;
        let claims = Arc::new(claims);
        let recent = Recent {
            issuer: index,
            kid: parsed.kid,
            alg: parsed.alg,
            key,
            claims: claims.clone(),
        };
        let verified = Verified {
            issuer,
            claims,
            expires_at: lifetime.expires_at,
            recent: false,
        };
        Ok((verified, recent))
    }
}

/// The checks on verified claims, at `now`: registered claims, then the issuer's profile.
/// One function for a fresh verification and a recent token alike, so no check can be
/// added to one path and missed by the other.
fn claims_hold(issuer: &Issuer, claims: &Map<String, Value>, now: u64) -> Result<Lifetime, Denial> {
    let lifetime = issuer.checks.check(claims, now)?;
    issuer
        .profile_checks
        .check(claims, now, issuer.checks.leeway)?;
    Ok(lifetime)
}
