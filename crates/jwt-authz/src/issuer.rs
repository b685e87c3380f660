//! One accepted issuer, compiled from its [`IssuerConfig`]: its algorithm allow-list, claim
//! checks, profile checks, context claims and key source: a JWKS cache, a shared secret,
//! or both during a migration from a legacy secret to signing keys. With both, HS* tokens
//! are checked only against the secret and asymmetric tokens only against the key set:
//! the algorithm family of the token picks the key source, and neither source can ever
//! hand out a key for the other family.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::claims::ClaimChecks;
use crate::config::{DEFAULT_LEEWAY_SECONDS, IssuerConfig, SecretRef};
use crate::fetch::{Fetcher, parse_fetch_url};
use crate::jwks::{JwksCache, JwksPolicy, KeySource};
use crate::jws::UnverifiedToken;
use crate::keys::VerifyingKey;
use crate::profile::{FIREBASE_ISSUER_PREFIX, FIREBASE_JWKS_URL, Profile, ProfileChecks, TokenUse};
use crate::{Algorithm, Denial, Error};

/// The asymmetric algorithms accepted by default.
const DEFAULT_ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Minimum time between two attempts to load a shared secret that failed.
const SECRET_RETRY: Duration = Duration::from_secs(5);

/// Loads shared secrets from where [`SecretRef`] says they live.
///
/// The library resolves [`SecretRef::Value`] itself; the authorizer function supplies an
/// implementation backed by Secrets Manager and SSM for the other variants.
pub trait SecretProvider: Send + Sync + std::fmt::Debug + 'static {
    /// Returns the secret's bytes.
    fn fetch<'a>(&'a self, secret: &'a SecretRef) -> BoxFuture<'a, Result<Vec<u8>, Error>>;
}

/// A [`SecretProvider`] that knows no secret store: inline values only.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecretStore;

impl SecretProvider for NoSecretStore {
    fn fetch<'a>(&'a self, secret: &'a SecretRef) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            match secret {
                SecretRef::Value(v) => Ok(v.as_bytes().to_vec()),
                other => Err(Error::Secret(format!(
                    "no secret store configured for {}",
                    other.describe()
                ))),
            }
        })
    }
}

/// Where an issuer's keys come from.
#[derive(Debug)]
enum Keys {
    Jwks(Box<JwksCache>),
    Secret(SecretKey),
    /// A migration window: HS* tokens against the secret, every other algorithm against
    /// the key set.
    Both {
        jwks: Box<JwksCache>,
        secret: SecretKey,
    },
}

fn is_symmetric(alg: &Algorithm) -> bool {
    alg.is_symmetric()
}

/// A shared secret loaded lazily, retried with a backoff while its store is unavailable.
#[derive(Debug)]
struct SecretKey {
    reference: SecretRef,
    provider: Arc<dyn SecretProvider>,
    algorithms: Vec<Algorithm>,
    loaded: RwLock<Option<Arc<VerifyingKey>>>,
    last_failure: tokio::sync::Mutex<Option<Instant>>,
}

impl SecretKey {
    async fn key(&self) -> Result<Arc<VerifyingKey>, Denial> {
        if let Some(key) = self
            .loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(key);
        }
        let mut last_failure = self.last_failure.lock().await;
        if let Some(key) = self
            .loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(key);
        }
        if last_failure.is_some_and(|t| t.elapsed() < SECRET_RETRY) {
            return Err(Denial::SecretUnavailable);
        }
        match self.provider.fetch(&self.reference).await {
            Ok(secret) if secret.len() >= 32 => {
                let key = Arc::new(VerifyingKey::shared_secret(
                    &secret,
                    self.algorithms.clone(),
                ));
                *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
                *last_failure = None;
                tracing::info!(source = %self.reference.describe(), "shared secret loaded");
                Ok(key)
            }
            Ok(_) => {
                tracing::error!(source = %self.reference.describe(), "shared secret is shorter than 32 bytes; refusing it");
                *last_failure = Some(Instant::now());
                Err(Denial::SecretUnavailable)
            }
            Err(error) => {
                tracing::error!(%error, source = %self.reference.describe(), "shared secret unavailable; will retry");
                *last_failure = Some(Instant::now());
                Err(Denial::SecretUnavailable)
            }
        }
    }
}

/// A compiled issuer.
#[derive(Debug)]
pub struct Issuer {
    pub(crate) iss: String,
    pub(crate) profile: Profile,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) checks: ClaimChecks,
    pub(crate) profile_checks: ProfileChecks,
    pub(crate) context_claims: Vec<String>,
    pub(crate) require_kid: bool,
    keys: Keys,
}

/// What compiling an issuer needs besides its configuration.
#[derive(Debug, Clone)]
pub struct Dependencies {
    /// Fetches key sets and discovery documents.
    pub fetcher: Arc<dyn Fetcher>,
    /// Loads shared secrets.
    pub secrets: Arc<dyn SecretProvider>,
    /// Key-set refresh policy.
    pub jwks_policy: JwksPolicy,
}

impl Issuer {
    /// Compiles `config` (the `index`-th issuer, for error messages).
    pub(crate) fn compile(
        index: usize,
        config: &IssuerConfig,
        deps: &Dependencies,
    ) -> Result<Self, Error> {
        let field = |name: &str| format!("issuers[{index}].{name}");
        let iss = config.issuer.trim().to_owned();
        if iss.is_empty() {
            return Err(Error::config(
                field("issuer"),
                "is required: the exact `iss` of accepted tokens",
            ));
        }
        let profile: Profile = match &config.profile {
            Some(p) => p.parse().map_err(|e| Error::config(field("profile"), e))?,
            None => Profile::default(),
        };
        // A secret alone: HS* only. A secret next to an explicit key-set URL: the
        // migration from a legacy secret to signing keys, both families at once.
        let has_secret = config.secret.is_some();
        let has_jwks = config.secret.is_none() || config.jwks_url.is_some();
        let algorithms = resolve_algorithms(config, has_secret, has_jwks, profile)
            .map_err(|m| Error::config(field("algorithms"), m))?;
        if profile == Profile::Firebase && !iss.starts_with(FIREBASE_ISSUER_PREFIX) {
            return Err(Error::config(
                field("issuer"),
                format!("firebase issuers are {FIREBASE_ISSUER_PREFIX}<project-id>"),
            ));
        }
        let audiences = resolve_audience(config, profile, &iss)
            .map_err(|m| Error::config(field("audience"), m))?;
        let profile_checks = resolve_profile_checks(config, profile, &field)?;
        let secret = config.secret.as_ref().map(|reference| SecretKey {
            reference: reference.clone(),
            provider: deps.secrets.clone(),
            algorithms: algorithms.iter().copied().filter(is_symmetric).collect(),
            loaded: RwLock::new(None),
            last_failure: tokio::sync::Mutex::new(None),
        });
        let jwks = if has_jwks {
            Some(Box::new(JwksCache::new(
                key_source(config, profile, &iss, &field)?,
                deps.fetcher.clone(),
                deps.jwks_policy,
            )))
        } else {
            None
        };
        let keys = match (jwks, secret) {
            (Some(jwks), Some(secret)) => Keys::Both { jwks, secret },
            (Some(jwks), None) => Keys::Jwks(jwks),
            (None, Some(secret)) => Keys::Secret(secret),
            (None, None) => unreachable!("an issuer without a secret has a key set"),
        };
        let mut context_claims = vec!["sub".to_owned(), "iss".to_owned()];
        for claim in profile
            .default_context_claims()
            .iter()
            .map(|c| (*c).to_owned())
            .chain(config.context_claims.iter().cloned())
        {
            let claim = claim.trim().to_owned();
            if claim.is_empty() {
                return Err(Error::config(
                    field("contextClaims"),
                    "contains an empty claim name",
                ));
            }
            if !context_claims.contains(&claim) {
                context_claims.push(claim);
            }
        }
        Ok(Self {
            iss,
            profile,
            algorithms,
            checks: ClaimChecks {
                audiences,
                leeway: config.leeway_seconds.unwrap_or(DEFAULT_LEEWAY_SECONDS),
            },
            profile_checks,
            context_claims,
            require_kid: profile == Profile::Firebase,
            keys,
        })
    }

    /// The issuer's `iss`.
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// The issuer's profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Loads keys (and/or the secret) now; failures are logged, not fatal.
    pub(crate) async fn prefetch(&self) {
        match &self.keys {
            Keys::Jwks(cache) => self.prefetch_jwks(cache).await,
            Keys::Secret(secret) => {
                let _ = secret.key().await;
            }
            Keys::Both { jwks, secret } => {
                let _ = futures::future::join(self.prefetch_jwks(jwks), secret.key()).await;
            }
        }
    }

    async fn prefetch_jwks(&self, cache: &JwksCache) {
        match cache.prefetch().await {
            Ok(count) => tracing::info!(issuer = %self.iss, keys = count, "key set prefetched"),
            Err(error) => {
                tracing::warn!(issuer = %self.iss, %error, "key set not available at init; denying until it is")
            }
        }
    }

    /// The key for a token header.
    pub(crate) async fn key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, Denial> {
        if !self.algorithms.contains(&alg) {
            return Err(Denial::AlgorithmNotAllowed);
        }
        // The token's algorithm family picks the source; the allow-list check above has
        // already bound it to this issuer's configuration.
        let cache = match &self.keys {
            Keys::Secret(secret) => return secret.key().await,
            Keys::Both { secret, .. } if is_symmetric(&alg) => return secret.key().await,
            Keys::Jwks(cache) | Keys::Both { jwks: cache, .. } => cache,
        };
        if self.require_kid && kid.is_none() {
            return Err(Denial::KidMissing);
        }
        cache.key(kid, alg).await
    }

    /// JWKS fetch attempts so far (0 for a shared-secret issuer).
    pub(crate) fn fetch_count(&self) -> u64 {
        match &self.keys {
            Keys::Jwks(cache) | Keys::Both { jwks: cache, .. } => cache.fetch_count(),
            Keys::Secret(_) => 0,
        }
    }

    /// Failed key-set loads so far (0 for a shared-secret issuer).
    pub(crate) fn fetch_failure_count(&self) -> u64 {
        match &self.keys {
            Keys::Jwks(cache) | Keys::Both { jwks: cache, .. } => cache.failure_count(),
            Keys::Secret(_) => 0,
        }
    }

    /// The key-set cache, for an issuer verified with a key set, alone or beside a shared
    /// secret (`None` for a shared secret alone).
    pub fn key_cache(&self) -> Option<&JwksCache> {
        match &self.keys {
            Keys::Jwks(cache) | Keys::Both { jwks: cache, .. } => Some(cache),
            Keys::Secret(_) => None,
        }
    }

    /// The algorithm allow-list, as configured (or the profile's default).
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The accepted audiences (any-of); `None` when `aud` is not checked (only its type):
    /// `allowAnyAudience`, or a profile whose tokens carry none.
    pub fn audiences(&self) -> Option<&[String]> {
        self.checks.audiences.as_deref()
    }

    /// The clock-skew leeway for `exp`, `nbf` and `iat`, in seconds.
    pub fn leeway(&self) -> u64 {
        self.checks.leeway
    }

    /// The registered-claim checks (`exp` required, `nbf`, `iat`, `aud`, `sub`) on
    /// `claims` at `now` (seconds since the epoch), exactly as verification runs them.
    pub fn check_claims(&self, claims: &Map<String, Value>, now: u64) -> Result<(), Denial> {
        self.checks.check(claims, now).map(drop)
    }

    /// The profile's own checks (e.g. Supabase's `role`, Clerk's `azp`) on `claims` at
    /// `now`, exactly as verification runs them after the registered claims.
    pub fn check_profile(&self, claims: &Map<String, Value>, now: u64) -> Result<(), Denial> {
        self.profile_checks.check(claims, now, self.checks.leeway)
    }

    /// The key a token names, looked up exactly as verification does (the algorithm
    /// allow-list, the `kid` rules, a key-set refresh or the shared secret's load as the
    /// policy allows); its signature is not checked ([`VerifyingKey::verifies`]).
    pub async fn find_key(&self, token: &UnverifiedToken<'_>) -> Result<Arc<VerifyingKey>, Denial> {
        self.key(token.kid(), token.alg()).await
    }
}

fn resolve_algorithms(
    config: &IssuerConfig,
    has_secret: bool,
    has_jwks: bool,
    profile: Profile,
) -> Result<Vec<Algorithm>, String> {
    let algorithms = match &config.algorithms {
        None if has_secret && has_jwks => {
            let mut algs = vec![Algorithm::HS256];
            algs.extend(DEFAULT_ASYMMETRIC);
            algs
        }
        None if has_secret => vec![Algorithm::HS256],
        None if profile == Profile::Firebase => vec![Algorithm::RS256],
        None => DEFAULT_ASYMMETRIC.to_vec(),
        Some(names) => {
            let mut algs = Vec::new();
            for name in names {
                let alg = Algorithm::from_name(name.trim())
                    .ok_or_else(|| format!("unknown algorithm {name:?}"))?;
                if !algs.contains(&alg) {
                    algs.push(alg);
                }
            }
            algs
        }
    };
    if algorithms.is_empty() {
        return Err("is empty; list at least one algorithm".into());
    }
    if has_secret && !has_jwks && !algorithms.iter().all(is_symmetric) {
        return Err("an issuer with a shared secret and no key set accepts only HS256/HS384/HS512; set `jwksUrl` too to also accept asymmetric tokens".into());
    }
    if !has_secret && algorithms.iter().any(is_symmetric) {
        return Err(
            "HS* algorithms need a shared secret (`secret`); a key set never carries HMAC keys"
                .into(),
        );
    }
    if has_secret && has_jwks && !algorithms.iter().any(is_symmetric) {
        return Err("an issuer with a shared secret must allow an HS* algorithm; remove `secret` to accept key-set tokens only".into());
    }
    if has_secret && has_jwks && algorithms.iter().all(is_symmetric) {
        return Err("an issuer with a key set must allow an asymmetric algorithm; remove `jwksUrl` to accept secret tokens only".into());
    }
    Ok(algorithms)
}

fn resolve_audience(
    config: &IssuerConfig,
    profile: Profile,
    iss: &str,
) -> Result<Option<Vec<String>>, String> {
    let configured: Option<Vec<String>> = config
        .audience
        .as_ref()
        .map(|a| {
            a.iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty());
    if config.allow_any_audience {
        if configured.is_some() {
            return Err("set either `audience` or `allowAnyAudience`, not both".into());
        }
        return Ok(None);
    }
    match (configured, profile) {
        (Some(a), _) => Ok(Some(a)),
        (None, Profile::Supabase) => Ok(Some(vec!["authenticated".into()])),
        (None, Profile::Firebase) => Ok(Some(vec![
            iss.trim_start_matches(FIREBASE_ISSUER_PREFIX).to_owned(),
        ])),
        // Clerk session tokens carry no aud; Cognito access tokens carry client_id instead.
        (None, Profile::Clerk | Profile::Cognito) => Ok(None),
        (None, Profile::Auth0 | Profile::Oidc) => Err(format!(
            "is required for the {} profile (your API identifier / client id); opt out explicitly by setting `allowAnyAudience` to true only if tokens carry no audience",
            profile.as_str()
        )),
    }
}

fn resolve_profile_checks(
    config: &IssuerConfig,
    profile: Profile,
    field: &dyn Fn(&str) -> String,
) -> Result<ProfileChecks, Error> {
    Ok(match profile {
        Profile::Supabase => {
            if let Some(aal) = config
                .required_aal
                .as_ref()
                .filter(|a| !matches!(a.as_str(), "aal1" | "aal2"))
            {
                return Err(Error::config(
                    field("requiredAal"),
                    format!("{aal:?}: expected aal1 or aal2"),
                ));
            }
            ProfileChecks::Supabase {
                allow_anonymous: config.allow_anonymous.unwrap_or(true),
                required_aal: config.required_aal.clone(),
            }
        }
        Profile::Clerk => {
            if config.authorized_parties.is_empty() {
                return Err(Error::config(
                    field("authorizedParties"),
                    "is required for clerk: list your frontend origins (the azp claim), e.g. https://app.example.com",
                ));
            }
            ProfileChecks::Clerk {
                authorized_parties: config.authorized_parties.clone(),
                require_session: config.require_session.unwrap_or(true),
            }
        }
        Profile::Cognito => {
            let mut token_uses = Vec::new();
            for name in config.token_use.as_deref().unwrap_or("access").split(',') {
                let token_use = match name.trim() {
                    "access" => TokenUse::Access,
                    "id" => TokenUse::Id,
                    other => {
                        return Err(Error::config(
                            field("tokenUse"),
                            format!("{other:?}: expected access, id or access,id"),
                        ));
                    }
                };
                if !token_uses.contains(&token_use) {
                    token_uses.push(token_use);
                }
            }
            if config.client_ids.is_empty() {
                return Err(Error::config(
                    field("clientIds"),
                    "is required for cognito: list the accepted app client ids",
                ));
            }
            ProfileChecks::Cognito {
                token_uses,
                client_ids: config.client_ids.clone(),
            }
        }
        Profile::Firebase => ProfileChecks::Firebase,
        Profile::Auth0 | Profile::Oidc => ProfileChecks::None,
    })
}

fn key_source(
    config: &IssuerConfig,
    profile: Profile,
    iss: &str,
    field: &dyn Fn(&str) -> String,
) -> Result<KeySource, Error> {
    if let Some(url) = &config.jwks_url {
        return Ok(KeySource::Jwks(parse_fetch_url(
            &field("jwksUrl"),
            url.trim(),
        )?));
    }
    let base = iss.trim_end_matches('/');
    match profile {
        Profile::Supabase | Profile::Clerk | Profile::Cognito => Ok(KeySource::Jwks(
            parse_fetch_url(&field("issuer"), &format!("{base}/.well-known/jwks.json"))?,
        )),
        Profile::Firebase => Ok(KeySource::Jwks(parse_fetch_url(
            &field("jwksUrl"),
            FIREBASE_JWKS_URL,
        )?)),
        Profile::Auth0 | Profile::Oidc => Ok(KeySource::Discovery {
            url: parse_fetch_url(
                &field("issuer"),
                &format!("{base}/.well-known/openid-configuration"),
            )?,
            issuer: iss.to_owned(),
        }),
    }
}
