//! Calling the Lambda authorizer through the standard Lambda **Invoke API**
//! (`POST <url>/2015-03-31/functions/<name>/invocations`), which `cargo lambda watch`,
//! `sam local start-lambda` and Lambda itself all serve, with the request AppSync sends
//! (`appsync_types::EventsAuthorizerRequest`), honouring `isAuthorized`, `ttlOverride`
//! (through [`AuthCache`]) and logging `handlerContext`.
//!
//! An authorizer that cannot be reached, fails (`X-Amz-Function-Error`), times out or
//! answers something that is not an authorizer response is a deny, with a log line that
//! says which. The token is never logged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use appsync_types::{
    ChannelPath, EventsAuthorizerRequest, EventsAuthorizerResponse, EventsOperation,
    EventsRequestContext,
};

use crate::cache::{AuthCache, CachedAnswer};
use crate::config::{AuthorizerSettings, CacheKey};

/// The longest piece of an error body quoted in a log line.
const QUOTE_LIMIT: usize = 300;

/// One authorization question.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    /// The operation.
    pub operation: EventsOperation,
    /// The client's `Authorization` value, verbatim.
    pub token: &'a str,
    /// The channel (`None` on connect).
    pub channel: Option<&'a ChannelPath>,
    /// `requestHeaders`.
    pub headers: HashMap<String, String>,
}

/// The authorizer's answer (or the deny that stands in for a failure).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// `isAuthorized: true`.
    Allow {
        /// `handlerContext`.
        handler_context: HashMap<String, String>,
    },
    /// `isAuthorized: false`, or the authorizer failed.
    Deny {
        /// Why, for the log and the client (never contains the token).
        reason: String,
    },
}

/// The authorizer client with its cache.
#[derive(Debug)]
pub struct LambdaAuthorizer {
    http: reqwest::Client,
    invoke_url: String,
    settings: AuthorizerSettings,
    api_id: String,
    account_id: String,
    cache: AuthCache,
    invocations: AtomicU64,
}

impl LambdaAuthorizer {
    /// A client for `settings`, answering as API `api_id` in account `account_id`.
    pub fn new(settings: AuthorizerSettings, api_id: String, account_id: String) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(settings.timeout)
            .build()
            .unwrap_or_default();
        Self {
            http,
            invoke_url: format!(
                "{}/2015-03-31/functions/{}/invocations",
                settings.url, settings.function
            ),
            cache: AuthCache::new(settings.cache_key),
            settings,
            api_id,
            account_id,
            invocations: AtomicU64::new(0),
        }
    }

    /// The URL invoked.
    pub fn invoke_url(&self) -> &str {
        &self.invoke_url
    }

    /// How many times the authorizer was invoked (cache hits excluded).
    pub fn invocations(&self) -> u64 {
        self.invocations.load(Ordering::Relaxed)
    }

    /// Asks the authorizer (or the cache).
    pub async fn ask(&self, question: Question<'_>) -> Answer {
        let channel = question.channel.map(ChannelPath::as_str);
        let operation = question.operation.clone();
        if let Some(hit) = self
            .cache
            .get(question.token, &operation, channel, Instant::now())
        {
            return self.cached_answer(&operation, channel, hit);
        }
        let request_id = crate::bus::new_identifier();
        let request = EventsAuthorizerRequest {
            authorization_token: question.token.to_owned(),
            request_context: EventsRequestContext {
                api_id: self.api_id.clone(),
                account_id: self.account_id.clone(),
                request_id: request_id.clone(),
                operation: operation.clone(),
                channel_namespace_name: question.channel.map(|c| c.namespace().to_owned()),
                channel: channel.map(str::to_owned),
            },
            request_headers: question.headers,
        };
        self.invocations.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let response = match self.invoke(&request).await {
            Ok(response) => response,
            Err(reason) => {
                tracing::warn!(%operation, channel = channel.unwrap_or("-"), %request_id, %reason, "authorizer failed: treated as a deny");
                return Answer::Deny { reason };
            }
        };
        let ttl = response.ttl_override.unwrap_or(self.settings.cache_ttl);
        let context = serde_json::to_string(&response.handler_context).unwrap_or_default();
        tracing::info!(
            %operation,
            channel = channel.unwrap_or("-"),
            %request_id,
            is_authorized = response.is_authorized,
            ttl_override = ?response.ttl_override,
            cached_for_secs = ttl,
            handler_context = %context,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "authorizer answered"
        );
        self.cache.put(
            question.token,
            Duration::from_secs(ttl),
            Instant::now(),
            CachedAnswer {
                is_authorized: response.is_authorized,
                handler_context: response.handler_context.clone(),
                operation,
                channel: channel.map(str::to_owned),
                expires: Instant::now(),
            },
        );
        if response.is_authorized {
            Answer::Allow {
                handler_context: response.handler_context,
            }
        } else {
            Answer::Deny {
                reason: "the Lambda authorizer denied the request (isAuthorized: false)".into(),
            }
        }
    }

    fn cached_answer(
        &self,
        operation: &EventsOperation,
        channel: Option<&str>,
        hit: CachedAnswer,
    ) -> Answer {
        let remaining = hit
            .expires
            .saturating_duration_since(Instant::now())
            .as_secs();
        let other_question = hit.operation != *operation || hit.channel.as_deref() != channel;
        if other_question {
            // Only possible with a coarse key: exactly the reuse an authorizer must expect
            // if AppSync's key is as coarse.
            tracing::warn!(
                %operation,
                channel = channel.unwrap_or("-"),
                cached_operation = %hit.operation,
                cached_channel = hit.channel.as_deref().unwrap_or("-"),
                is_authorized = hit.is_authorized,
                remaining_secs = remaining,
                cache_key = self.cache.key_kind().as_str(),
                "authorizer cache hit: an answer given for another operation or channel is reused \
                 (if AppSync keys its cache this coarsely, channel-dependent answers must carry \
                 ttlOverride 0; --auth-cache-key token-operation-channel models a finer key)"
            );
        } else {
            tracing::info!(
                %operation,
                channel = channel.unwrap_or("-"),
                is_authorized = hit.is_authorized,
                remaining_secs = remaining,
                cache_key = self.cache.key_kind().as_str(),
                "authorizer cache hit"
            );
        }
        if hit.is_authorized {
            Answer::Allow {
                handler_context: hit.handler_context,
            }
        } else {
            Answer::Deny {
                reason: "the Lambda authorizer denied the request (cached answer)".into(),
            }
        }
    }

    async fn invoke(
        &self,
        request: &EventsAuthorizerRequest,
    ) -> Result<EventsAuthorizerResponse, String> {
        let body =
            serde_json::to_vec(request).map_err(|e| format!("cannot encode the request: {e}"))?;
        let sent = self
            .http
            .post(&self.invoke_url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Err(format!(
                    "the authorizer did not answer within {} s (AppSync's limit is 10 s)",
                    self.settings.timeout.as_secs()
                ));
            }
            Err(e) if e.is_connect() => {
                return Err(format!(
                    "the authorizer is not reachable at {} (is `cargo lambda watch` or `sam local start-lambda` running?)",
                    self.invoke_url
                ));
            }
            Err(e) => return Err(format!("invoking {} failed: {e}", self.invoke_url)),
        };
        let status = response.status();
        let function_error = response
            .headers()
            .get("x-amz-function-error")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                format!(
                    "the authorizer did not answer within {} s",
                    self.settings.timeout.as_secs()
                )
            } else {
                format!("reading the authorizer's answer failed: {e}")
            }
        })?;
        if let Some(kind) = function_error {
            return Err(format!("the authorizer failed ({kind}): {}", quote(&body)));
        }
        if !status.is_success() {
            return Err(format!(
                "the Invoke API answered HTTP {status}: {} (is the function name '{}' right?)",
                quote(&body),
                self.settings.function
            ));
        }
        serde_json::from_slice(&body).map_err(|e| {
            format!(
                "the authorizer's answer is not {{\"isAuthorized\": bool, …}} ({e}): {}",
                quote(&body)
            )
        })
    }

    /// Which key the cache uses.
    pub fn cache_key(&self) -> CacheKey {
        self.cache.key_kind()
    }
}

/// The start of a body, for a log line.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut quoted: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().count() > QUOTE_LIMIT {
        quoted.push('…');
    }
    quoted
}
