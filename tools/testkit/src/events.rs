//! Authorizer events and decision logs shared by the authorizer test suites, and the
//! authorizer started for an [`Issuer`].

use serde_json::{Value, json};

use crate::idp::{Issuer, now};
use crate::runtime::LambdaProcess;

/// Claims of a valid Supabase-shaped user token from `iss`, valid for an hour.
pub fn user_claims(iss: &str) -> Value {
    json!({"iss": iss, "sub": "user-1", "aud": "authenticated", "role": "authenticated", "aal": "aal1",
           "session_id": "s-1", "is_anonymous": false, "iat": now() - 10, "exp": now() + 3600})
}

/// An `EVENT_CONNECT` request carrying `token` (also in `requestHeaders`, as AppSync sends it).
pub fn connect(token: &str) -> Value {
    json!({"authorizationToken": token,
           "requestContext": {"apiId": "api", "accountId": "111122223333", "requestId": "r-1", "operation": "EVENT_CONNECT"},
           "requestHeaders": {"authorization": token}})
}

/// An `EVENT_SUBSCRIBE` request for `channel`.
pub fn subscribe(token: &str, channel: &str) -> Value {
    json!({"authorizationToken": token,
           "requestContext": {"apiId": "api", "accountId": "111122223333", "requestId": "r-2",
                              "operation": "EVENT_SUBSCRIBE", "channelNamespaceName": "default", "channel": channel},
           "requestHeaders": {}})
}

/// A GraphQL authorizer request.
pub fn graphql(token: &str) -> Value {
    json!({"authorizationToken": token,
           "requestContext": {"apiId": "a", "accountId": "1", "requestId": "r", "queryString": "{ me }", "variables": {}}})
}

/// The `reason` of every decision the authorizer logged so far, oldest first.
pub fn reasons(f: &LambdaProcess) -> Vec<String> {
    f.logs()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["fields"]["reason"].as_str().map(str::to_owned))
        .collect()
}

/// The `reason` of the last decision logged (empty when none).
pub fn last_reason(f: &LambdaProcess) -> String {
    reasons(f).pop().unwrap_or_default()
}

/// The reasons once `count` decisions are logged (log lines may trail the answers).
pub async fn settled_reasons(f: &LambdaProcess, count: usize) -> Vec<String> {
    crate::logs::settled(|| reasons(f), count).await
}

/// Waits until the last decision logged is `reason`.
pub async fn settle(f: &LambdaProcess, reason: &str) {
    let what = format!("no decision logged as {reason}");
    crate::logs::wait_until(f, &what, || last_reason(f) == reason).await;
}

/// The authorizer binary configured for `issuer`, with `extra` variables (later ones win).
pub async fn authorizer_for(issuer: &Issuer, extra: &[(&str, &str)]) -> LambdaProcess {
    let vars = issuer.vars();
    let mut env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    LambdaProcess::start(&crate::binaries::binary("authorizer"), &env).await
}
