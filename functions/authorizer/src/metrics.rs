//! Metrics as CloudWatch Embedded Metric Format lines ([`cloudwatch_emf`]): one line per
//! invocation, written to stdout next to the decision log line. No SDK, no network; the
//! warm-path cost is formatting about 600 bytes into a reused buffer and one write.
//!
//! Every dimension value comes from a bounded set — the function name, the operation
//! (`EVENT_CONNECT`, `EVENT_SUBSCRIBE`, `EVENT_PUBLISH`, `GRAPHQL`, `UNKNOWN`), the outcome
//! and the reason code ([`jwt_authz::Denial::code`]) — never a user, channel or token.
//!
//! | Metric | Dimensions | When |
//! |---|---|---|
//! | `Decisions` | `FunctionName`, `Operation`, `Outcome` (`allow`/`deny`) | every invocation |
//! | `Denials` | `FunctionName`, `Reason` | every deny |
//! | `InfrastructureDenials` | `FunctionName` | a deny caused by a dependency (`keys_unavailable`, `secret_unavailable`) |
//! | `RecentTokenHits` | `FunctionName` | the recent-token cache answered |
//! | `KeySetFetches`, `KeySetFetchFailures` | `FunctionName` | key-set loads (discovery and JWKS) and failed loads since the previous line; the init prefetch is reported by the first invocation |

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use appsync_types::{AuthorizerRequest, EventsOperation};
use cloudwatch_emf::{Group, Metric, Namespace, write_line};
use jwt_authz::{Authorizer, Decision};

/// Where metrics go, and the key-set counters already reported.
#[derive(Debug)]
pub struct Metrics {
    namespace: Namespace,
    function_name: String,
    reported_fetches: AtomicU64,
    reported_failures: AtomicU64,
}

thread_local! {
    /// The line buffer, reused across invocations (one per worker thread).
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(1024));
}

/// The bounded `Operation` dimension of a request.
pub fn operation(request: Option<&AuthorizerRequest>) -> &'static str {
    match request {
        Some(AuthorizerRequest::Events(r)) => match r.request_context.operation {
            EventsOperation::Connect => "EVENT_CONNECT",
            EventsOperation::Subscribe => "EVENT_SUBSCRIBE",
            EventsOperation::Publish => "EVENT_PUBLISH",
            // The text is the caller's: never a dimension value.
            EventsOperation::Unknown(_) => "UNKNOWN",
        },
        Some(AuthorizerRequest::Graphql(_)) => "GRAPHQL",
        None => "UNKNOWN",
    }
}

impl Metrics {
    /// Metrics under `namespace`, dimensioned by `function_name` (`AWS_LAMBDA_FUNCTION_NAME`).
    pub fn new(namespace: Namespace, function_name: String) -> Self {
        Self {
            namespace,
            function_name,
            reported_fetches: AtomicU64::new(0),
            reported_failures: AtomicU64::new(0),
        }
    }

    /// Formats the line for one decision into `out`.
    pub fn format(
        &self,
        out: &mut String,
        authorizer: &Authorizer,
        operation: &'static str,
        decision: &Decision<'_>,
        timestamp_ms: u64,
    ) -> Result<(), cloudwatch_emf::Error> {
        let function = ("FunctionName", self.function_name.as_str());
        let outcome = if decision.response.is_authorized() {
            "allow"
        } else {
            "deny"
        };
        let (fetches, failures) = authorizer.verifier().key_set_counts();
        // fetch_max: concurrent invocations each report only what no other has reported.
        let new_fetches =
            fetches.saturating_sub(self.reported_fetches.fetch_max(fetches, Ordering::Relaxed));
        let new_failures = failures.saturating_sub(
            self.reported_failures
                .fetch_max(failures, Ordering::Relaxed),
        );
        let decisions = [Metric::count("Decisions", 1)];
        let denials = [Metric::count("Denials", 1)];
        let mut totals: [Metric<'_>; 4] = [Metric::count("", 0); 4];
        let mut n = 0;
        let mut push = |metric: Metric<'static>| {
            totals[n] = metric;
            n += 1;
        };
        if decision.denial.is_some_and(|d| d.is_infrastructure()) {
            push(Metric::count("InfrastructureDenials", 1));
        }
        if decision.recent {
            push(Metric::count("RecentTokenHits", 1));
        }
        if new_fetches > 0 {
            push(Metric::count("KeySetFetches", new_fetches));
        }
        if new_failures > 0 {
            push(Metric::count("KeySetFetchFailures", new_failures));
        }
        let reason = decision.reason();
        let decision_dims = [function, ("Operation", operation), ("Outcome", outcome)];
        let denial_dims = [function, ("Reason", reason)];
        let function_dims = [function];
        let groups = [
            Group {
                dimensions: &decision_dims,
                metrics: &decisions,
            },
            Group {
                dimensions: &denial_dims,
                metrics: if decision.denial.is_some() {
                    &denials
                } else {
                    &[]
                },
            },
            Group {
                dimensions: &function_dims,
                metrics: &totals[..n],
            },
        ];
        write_line(out, &self.namespace, timestamp_ms, &groups)
    }

    /// Writes the line for one decision to stdout.
    pub fn record(
        &self,
        authorizer: &Authorizer,
        operation: &'static str,
        decision: &Decision<'_>,
    ) {
        LINE.with_borrow_mut(|line| {
            let written = cloudwatch_emf::emit(line, |out, now| {
                self.format(out, authorizer, operation, decision, now)
            });
            if let Err(error) = written {
                tracing::warn!(%error, "metrics line not written");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use jwt_authz::{
        AuthorizerConfig, Dependencies, FetchLimits, HttpFetcher, IssuerConfig, NoSecretStore,
        SecretRef,
    };
    use serde_json::{Value, json};

    use super::*;

    fn authorizer() -> Authorizer {
        let config = AuthorizerConfig {
            issuers: vec![IssuerConfig {
                issuer: "https://issuer.test/".into(),
                secret: Some(SecretRef::Value("0123456789abcdef0123456789abcdef".into())),
                ..Default::default()
            }],
            ..Default::default()
        };
        let deps = Dependencies {
            fetcher: Arc::new(HttpFetcher::new(FetchLimits::default()).expect("client")),
            secrets: Arc::new(NoSecretStore),
            jwks_policy: Default::default(),
        };
        Authorizer::new(&config, &deps).expect("compiles")
    }

    fn metrics() -> Metrics {
        Metrics::new(Namespace::new("Test").expect("ns"), "fn-1".into())
    }

    #[tokio::test]
    async fn a_deny_is_counted_by_operation_outcome_and_reason() {
        let authorizer = authorizer();
        let event = json!({"authorizationToken": "", "requestContext": {"operation": "EVENT_SUBSCRIBE", "channel": "/a"}});
        let request = AuthorizerRequest::from_value(&event).ok();
        let decision = authorizer.decide(request.as_ref(), 1).await;
        let mut line = String::new();
        metrics()
            .format(
                &mut line,
                &authorizer,
                operation(request.as_ref()),
                &decision,
                42,
            )
            .expect("formats");
        let value: Value = serde_json::from_str(&line).expect("json");
        assert_eq!(
            value,
            json!({
                "_aws": {"Timestamp": 42, "CloudWatchMetrics": [
                    {"Namespace": "Test", "Dimensions": [["FunctionName", "Operation", "Outcome"]],
                     "Metrics": [{"Name": "Decisions", "Unit": "Count"}]},
                    {"Namespace": "Test", "Dimensions": [["FunctionName", "Reason"]],
                     "Metrics": [{"Name": "Denials", "Unit": "Count"}]}
                ]},
                "FunctionName": "fn-1", "Operation": "EVENT_SUBSCRIBE", "Outcome": "deny",
                "Reason": "token_missing", "Decisions": 1, "Denials": 1
            })
        );
    }

    #[tokio::test]
    async fn a_caller_chosen_operation_is_never_a_dimension_value() {
        let authorizer = authorizer();
        let event = json!({"authorizationToken": "x", "requestContext": {"operation": "user-123"}});
        let request = AuthorizerRequest::from_value(&event).ok();
        let decision = authorizer.decide(request.as_ref(), 1).await;
        let mut line = String::new();
        metrics()
            .format(
                &mut line,
                &authorizer,
                operation(request.as_ref()),
                &decision,
                1,
            )
            .expect("formats");
        assert!(!line.contains("user-123"), "{line}");
        let value: Value = serde_json::from_str(&line).expect("json");
        assert_eq!(value["Operation"], "UNKNOWN");
        assert_eq!(value["Reason"], "unknown_operation");
    }
}
