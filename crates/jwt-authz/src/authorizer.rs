//! Decisions for AppSync requests: verification, channel rules, and the cache lifetime of
//! each answer.
//!
//! `ttlOverride` rules (a stale cached allow must never outlive the token):
//! - every deny: `0`;
//! - an allow: `min(cacheTtlSeconds, seconds until exp)`;
//! - an Events subscribe/publish allow that depended on channel rules: `0`, because
//!   AppSync's Events authorizer cache key is undocumented and may not include the channel;
//! - a connect allow while channel rules are configured: `0`, unless `cacheConnect: true`.
//!   If AppSync keyed its cache by token alone, a cached connect allow would also answer
//!   the same token's later subscribe/publish and skip the rules; the local endpoint's
//!   token-only cache key demonstrates it. Safe under either answer is the default.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use appsync_types::{
    AuthorizerRequest, ChannelPath, EventsAuthorizerRequest, EventsAuthorizerResponse,
    EventsOperation, EventsRequestContext, GraphqlAuthorizerRequest, GraphqlAuthorizerResponse,
};
use serde_json::Value;

use crate::config::{DEFAULT_CACHE_TTL_SECONDS, MAX_CACHE_TTL_SECONDS};
use crate::issuer::Dependencies;
use crate::rules::{ChannelRules, GraphqlRules, Operation, RuleDecision};
use crate::verifier::{Verified, Verifier};
use crate::{AuthorizerConfig, Denial, Error};

/// The answer to send back, in the request's flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// For an Events request (also used for requests that could not be understood: a deny
    /// has the same shape in both flavours).
    Events(EventsAuthorizerResponse),
    /// For a GraphQL request.
    Graphql(GraphqlAuthorizerResponse),
}

/// Serialized as the inner response (no variant tag): handlers can return it directly, and
/// the runtime writes the JSON without an intermediate [`Value`] tree.
impl serde::Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Events(r) => r.serialize(serializer),
            Self::Graphql(r) => r.serialize(serializer),
        }
    }
}

impl Response {
    /// The response as JSON.
    pub fn to_value(&self) -> Value {
        let value = match self {
            Self::Events(r) => serde_json::to_value(r),
            Self::Graphql(r) => serde_json::to_value(r),
        };
        value.unwrap_or_else(|_| serde_json::json!({"isAuthorized": false, "ttlOverride": 0}))
    }

    /// Whether access is granted.
    pub fn is_authorized(&self) -> bool {
        match self {
            Self::Events(r) => r.is_authorized,
            Self::Graphql(r) => r.is_authorized,
        }
    }

    /// The `ttlOverride` sent.
    pub fn ttl(&self) -> Option<u64> {
        match self {
            Self::Events(r) => r.ttl_override,
            Self::Graphql(r) => r.ttl_override,
        }
    }
}

/// A decision and what to log about it.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    /// What to answer.
    pub response: Response,
    /// `None` when allowed, else why denied.
    pub denial: Option<Denial>,
    /// The issuer that verified (or was selected for) the token, when known.
    pub issuer: Option<&'a str>,
    /// Whether the token was answered from the recent-token cache (re-checked without
    /// parsing or the signature, see [`Verified::recent`](crate::Verified::recent)).
    pub recent: bool,
    /// Time spent deciding.
    pub elapsed: Duration,
}

impl Decision<'_> {
    /// The reason code: `allowed` or the denial's code.
    pub fn reason(&self) -> &'static str {
        self.denial.as_ref().map_or("allowed", Denial::code)
    }
}

/// A complete authorizer: verifier, channel rules and caching policy.
#[derive(Debug)]
pub struct Authorizer {
    verifier: Verifier,
    channel_rules: ChannelRules,
    graphql_rules: GraphqlRules,
    cache_ttl: u64,
    cache_connect: bool,
}

impl Authorizer {
    /// Compiles a configuration. Nothing is fetched: call [`prefetch`](Self::prefetch).
    pub fn new(config: &AuthorizerConfig, deps: &Dependencies) -> Result<Self, Error> {
        let cache_ttl = config
            .cache_ttl_seconds
            .unwrap_or(DEFAULT_CACHE_TTL_SECONDS);
        if cache_ttl > MAX_CACHE_TTL_SECONDS {
            return Err(Error::config(
                "cacheTtlSeconds",
                format!("{cache_ttl} is above AppSync's maximum of {MAX_CACHE_TTL_SECONDS}"),
            ));
        }
        Ok(Self {
            verifier: Verifier::new(config, deps)?,
            channel_rules: ChannelRules::compile(&config.channel_rules)?,
            graphql_rules: GraphqlRules::compile(&config.graphql_rules)?,
            cache_ttl,
            cache_connect: cache_connect(config),
        })
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Loads keys and secrets (init).
    pub async fn prefetch(&self) {
        self.verifier.prefetch().await;
    }

    /// Decides on any incoming event; never fails: what cannot be understood is denied.
    pub async fn authorize(&self, event: &Value) -> Decision<'_> {
        self.authorize_at(event, Self::now()).await
    }

    /// [`authorize`](Self::authorize) at a given time (seconds since the epoch).
    pub async fn authorize_at(&self, event: &Value, now: u64) -> Decision<'_> {
        let request = AuthorizerRequest::from_value(event).ok();
        self.decide(request.as_ref(), now).await
    }

    /// Decides on a request already read (e.g. with [`AuthorizerRequest::from_json`],
    /// which skips the intermediate JSON tree); `None` is an event that could not be
    /// understood, denied as `bad_request`. `now` is seconds since the epoch.
    pub async fn decide(&self, request: Option<&AuthorizerRequest>, now: u64) -> Decision<'_> {
        let started = Instant::now();
        let mut decision = match request {
            Some(AuthorizerRequest::Events(request)) => self.events(request, now).await,
            Some(AuthorizerRequest::Graphql(request)) => self.graphql(request, now).await,
            None => deny_events(Denial::BadRequest, None),
        };
        decision.elapsed = started.elapsed();
        decision
    }

    /// Seconds since the epoch, as [`authorize`](Self::authorize) reads the clock.
    pub fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// Decides on an Events request.
    pub async fn events(&self, request: &EventsAuthorizerRequest, now: u64) -> Decision<'_> {
        let context = &request.request_context;
        let operation = match context.operation {
            EventsOperation::Connect => Operation::Connect,
            EventsOperation::Subscribe => Operation::Subscribe,
            EventsOperation::Publish => Operation::Publish,
            EventsOperation::Unknown(_) => return deny_events(Denial::UnknownOperation, None),
        };
        let verified = match self
            .verifier
            .verify(&request.authorization_token, now)
            .await
        {
            Ok(v) => v,
            Err(denial) => return deny_events(denial, None),
        };
        let mut decision = self.events_verified(operation, context, &verified, now);
        decision.recent = verified.recent;
        decision
    }

    /// The rest of an Events decision, once the token verified.
    fn events_verified<'a>(
        &'a self,
        operation: Operation,
        context: &EventsRequestContext,
        verified: &Verified<'a>,
        now: u64,
    ) -> Decision<'a> {
        let issuer = Some(verified.issuer.iss());
        let channel = match (operation, context.channel.as_deref()) {
            (Operation::Connect, _) => None,
            (_, None) => return deny_events(Denial::ChannelInvalid, issuer),
            (_, Some(raw)) => match ChannelPath::parse_lenient(raw) {
                Ok(ch) if operation == Operation::Publish && ch.is_wildcard() => {
                    return deny_events(Denial::ChannelInvalid, issuer);
                }
                Ok(ch) => Some(ch),
                Err(_) => return deny_events(Denial::ChannelInvalid, issuer),
            },
        };
        let ttl = match self
            .channel_rules
            .decide(operation, channel.as_ref(), &verified.claims)
        {
            RuleDecision::Denied(rule) => return deny_events(Denial::Channel(rule), issuer),
            RuleDecision::Allowed {
                depends_on_channel: true,
            } => 0,
            _ if operation == Operation::Connect
                && !self.channel_rules.is_empty()
                && !self.cache_connect =>
            {
                0
            }
            _ => self.allow_ttl(verified, now),
        };
        let response = EventsAuthorizerResponse {
            is_authorized: true,
            handler_context: verified.context(),
            ttl_override: Some(ttl),
        };
        Decision {
            response: Response::Events(response),
            denial: None,
            issuer,
            elapsed: Duration::ZERO,
            recent: false,
        }
    }

    /// Decides on a GraphQL request.
    pub async fn graphql(&self, request: &GraphqlAuthorizerRequest, now: u64) -> Decision<'_> {
        let verified = match self
            .verifier
            .verify(&request.authorization_token, now)
            .await
        {
            Ok(v) => v,
            Err(denial) => {
                return Decision {
                    response: Response::Graphql(GraphqlAuthorizerResponse::deny()),
                    denial: Some(denial),
                    issuer: None,
                    elapsed: Duration::ZERO,
                    recent: false,
                };
            }
        };
        let response = GraphqlAuthorizerResponse {
            is_authorized: true,
            resolver_context: verified.context(),
            denied_fields: self.graphql_rules.denied_fields(&verified.claims),
            ttl_override: Some(self.allow_ttl(&verified, now)),
        };
        Decision {
            response: Response::Graphql(response),
            denial: None,
            issuer: Some(verified.issuer.iss()),
            elapsed: Duration::ZERO,
            recent: verified.recent,
        }
    }

    fn allow_ttl(&self, verified: &Verified<'_>, now: u64) -> u64 {
        self.cache_ttl.min(verified.remaining(now))
    }
}

/// Whether connect answers may be cached while channel rules are configured.
fn cache_connect(config: &AuthorizerConfig) -> bool {
    let opted_in = config.cache_connect.unwrap_or(false);
    if opted_in && !config.channel_rules.is_empty() {
        tracing::warn!(
            "cacheConnect is true: connect answers are cached although channel rules are configured; \
             safe only if AppSync's Events authorizer cache key includes the operation and channel"
        );
    }
    opted_in
}

fn deny_events(denial: Denial, issuer: Option<&str>) -> Decision<'_> {
    Decision {
        response: Response::Events(EventsAuthorizerResponse::deny()),
        denial: Some(denial),
        issuer,
        elapsed: Duration::ZERO,
        recent: false,
    }
}
