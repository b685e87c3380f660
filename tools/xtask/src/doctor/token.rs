//! The token: the prefix against the template's `IdentityValidationExpression`,
//! extraction, header, issuer, key, signature, each claim check, the profile's rules,
//! channel rules, and finally the authorizer's own decision. The token itself is never
//! printed: only its header fields and the claims the checks look at.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use appsync_types::ChannelPath;
use jwt_authz::{
    Authorizer, AuthorizerConfig, ChannelRules, Denial, Operation, RuleDecision, UnverifiedToken,
};
use serde_json::{Map, Value, json};

use super::args::Args;
use super::issuers::names;
use super::report::Report;

/// A JWT-shaped stand-in (never a real token) for checking wrappers without one.
const SAMPLE_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

/// The template's `IdentityValidationExpression` against the configured wrappers and, when
/// given, the token as the client sends it.
pub fn check_prefix<W: Write>(
    expression: Option<&str>,
    config: &AuthorizerConfig,
    token: Option<&str>,
    report: &mut Report<W>,
) {
    let Some(expression) = expression else {
        if token.is_some() {
            report.info(
                "IdentityValidationExpression",
                "not checked (no --template, or the template sets none)",
            );
        }
        return;
    };
    let regex = match regex::Regex::new(expression) {
        Ok(regex) => regex,
        Err(error) => {
            report.fail(
                "IdentityValidationExpression",
                &format!("{expression:?} is not a valid regular expression: {error}"),
                "fix the expression in the template",
            );
            return;
        }
    };
    let prefix = config.token_prefixes.first().map_or("", String::as_str);
    let suffix = config.token_suffixes.first().map_or("", String::as_str);
    let sample = format!("{prefix}{SAMPLE_JWS}{suffix}");
    if regex.is_match(&sample) {
        report.ok(
            "IdentityValidationExpression",
            &format!("{expression:?} admits tokens wrapped as {prefix:?} + JWT + {suffix:?}"),
        );
    } else {
        report.fail(
            "IdentityValidationExpression",
            &format!(
                "{expression:?} refuses tokens wrapped as the authorizer expects ({prefix:?} + JWT + {suffix:?}): AppSync answers UnauthorizedException without invoking the authorizer"
            ),
            "make TokenPrefix/TokenSuffix (template) and TOKEN_PREFIXES/TOKEN_SUFFIXES the same",
        );
    }
    if let Some(token) = token {
        if regex.is_match(token) {
            report.ok(
                "token vs IdentityValidationExpression",
                "matches: AppSync will invoke the authorizer",
            );
        } else {
            report.fail(
                "token vs IdentityValidationExpression",
                "does not match: AppSync refuses it before invoking the authorizer (no authorizer log line, the client sees UnauthorizedException)",
                &format!("the client must send {prefix:?} + the JWT + {suffix:?}, with nothing else (no \"Bearer \", no quotes or whitespace)"),
            );
        }
    }
}

/// Every check on `raw` (as the client sends it), then the authorizer's decision.
pub async fn check<W: Write>(
    raw: &str,
    authorizer: &Authorizer,
    config: &AuthorizerConfig,
    args: &Args,
    report: &mut Report<W>,
) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = explain(raw, authorizer, now, report).await;
    let operation = match args.operation.as_deref().unwrap_or("connect") {
        "connect" => Operation::Connect,
        "subscribe" => Operation::Subscribe,
        "publish" => Operation::Publish,
        other => {
            report.fail(
                "operation",
                &format!("{other:?} is not connect, subscribe or publish"),
                "pass --operation connect|subscribe|publish",
            );
            return;
        }
    };
    if let Some(claims) = &claims {
        channel_rules(config, operation, args.channel.as_deref(), claims, report);
    }
    decision(
        raw,
        authorizer,
        operation,
        args.channel.as_deref(),
        now,
        report,
    )
    .await;
}

/// The pipeline step by step; the verified claims when every step passed.
async fn explain<W: Write>(
    raw: &str,
    authorizer: &Authorizer,
    now: u64,
    report: &mut Report<W>,
) -> Option<Map<String, Value>> {
    let verifier = authorizer.verifier();
    let token = match verifier.extract(raw) {
        Ok(token) => {
            report.ok(
                "token",
                &format!(
                    "a compact JWS of {} bytes after removing wrappers",
                    token.len()
                ),
            );
            token
        }
        Err(denial) => {
            report.fail(
                "token",
                &format!("{} ({denial})", describe(denial)),
                fix(denial),
            );
            return None;
        }
    };
    let parsed = match UnverifiedToken::parse(token) {
        Ok(parsed) => {
            report.ok(
                "header",
                &format!(
                    "alg {:?}, kid {}",
                    parsed.alg(),
                    parsed.kid().map_or("(none)".into(), |k| format!("{k:?}"))
                ),
            );
            parsed
        }
        Err(denial) => {
            report.fail(
                "header",
                &format!("{} ({denial})", describe(denial)),
                fix(denial),
            );
            return None;
        }
    };
    let claims = match parsed.claims() {
        Ok(claims) => claims,
        Err(_) => {
            let denial = Denial::PayloadInvalid;
            report.fail(
                "claims",
                &format!("{} ({denial})", describe(denial)),
                fix(denial),
            );
            return None;
        }
    };
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let Some(issuer) = verifier.issuers().iter().find(|i| i.iss() == iss) else {
        let configured: Vec<&str> = verifier.issuers().iter().map(|i| i.iss()).collect();
        report.fail(
            "iss",
            &format!("{iss:?} is not a configured issuer ({configured:?}) (unknown_issuer)"),
            "set JWT_ISSUER (issuer) to exactly the token's iss — scheme, host, path and any trailing slash — if this is the provider you mean",
        );
        return None;
    };
    report.ok(
        "iss",
        &format!(
            "{iss:?} is configured (profile {})",
            issuer.profile().as_str()
        ),
    );
    if !issuer.algorithms().contains(&parsed.alg()) {
        let denial = Denial::AlgorithmNotAllowed;
        report.fail(
            "alg",
            &format!(
                "{:?} is not allowed for this issuer ({}) ({denial})",
                parsed.alg(),
                names(issuer.algorithms())
            ),
            fix(denial),
        );
        return None;
    }
    report.ok("alg", &format!("{:?} is allowed", parsed.alg()));
    if issuer.key_cache().is_some() {
        let key = match issuer.find_key(&parsed).await {
            Ok(key) => key,
            Err(denial) => {
                report.fail(
                    "key",
                    &format!("{} ({denial})", describe(denial)),
                    fix(denial),
                );
                return None;
            }
        };
        report.ok(
            "key",
            &format!(
                "found in the key set (kid {:?})",
                key.kid.as_deref().unwrap_or("")
            ),
        );
        if key.verifies(&parsed) {
            report.ok("signature", "verifies");
        } else {
            let denial = Denial::BadSignature;
            report.fail(
                "signature",
                &format!("{} ({denial})", describe(denial)),
                fix(denial),
            );
            return None;
        }
    } else {
        report.info(
            "signature",
            "shared-secret issuer: checked with the decision below",
        );
    }
    explain_time(&claims, now, issuer.leeway(), report);
    match issuer.audiences() {
        None => report.info(
            "aud",
            "not checked (allowAnyAudience, or the profile carries none)",
        ),
        Some(accepted) => {
            let aud = claims
                .get("aud")
                .map(Value::to_string)
                .unwrap_or("(missing)".into());
            report.info("aud", &format!("token {aud}, accepted {accepted:?}"));
        }
    }
    match issuer.check_claims(&claims, now) {
        Ok(_) => report.ok("registered claims", "exp, nbf, iat, aud and sub pass"),
        Err(denial) => {
            report.fail(
                "registered claims",
                &format!("{} ({denial})", describe(denial)),
                fix(denial),
            );
            return None;
        }
    }
    let profile_claims: Vec<String> = [
        "role",
        "aal",
        "is_anonymous",
        "azp",
        "sid",
        "token_use",
        "client_id",
        "auth_time",
    ]
    .iter()
    .filter_map(|name| claims.get(*name).map(|v| format!("{name}={v}")))
    .collect();
    match issuer.check_profile(&claims, now) {
        Ok(()) => report.ok(
            "profile rules",
            &format!(
                "{} rules pass ({})",
                issuer.profile().as_str(),
                profile_claims.join(", ")
            ),
        ),
        Err(denial) => {
            report.fail(
                "profile rules",
                &format!(
                    "{} rejects the token: {} ({denial}); {}",
                    issuer.profile().as_str(),
                    describe(denial),
                    profile_claims.join(", ")
                ),
                profile_fix(issuer.profile().as_str()),
            );
            return None;
        }
    }
    Some(claims)
}

fn explain_time<W: Write>(
    claims: &Map<String, Value>,
    now: u64,
    leeway: u64,
    report: &mut Report<W>,
) {
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp + leeway >= now => report.ok(
            "exp",
            &format!("expires in {} (leeway {leeway} s)", duration(exp.saturating_sub(now))),
        ),
        Some(exp) => report.fail(
            "exp",
            &format!("expired {} ago (leeway {leeway} s) (expired)", duration(now - exp)),
            "get a fresh token: the client must refresh before exp (docs/clients.md, Cookie-held sessions and refresh before expiry); check the clock if it just arrived",
        ),
        None => report.fail(
            "exp",
            "missing or not a number (exp_missing / claim_invalid)",
            "tokens must carry a numeric exp; use the provider's access/ID token, not a custom one without expiry",
        ),
    }
}

/// Which channel rule an operation on a channel hits, rule by rule (each compiled and
/// decided by the library on its own).
fn channel_rules<W: Write>(
    config: &AuthorizerConfig,
    operation: Operation,
    channel: Option<&str>,
    claims: &Map<String, Value>,
    report: &mut Report<W>,
) {
    if config.channel_rules.is_empty() {
        return;
    }
    let channel = match channel.map(ChannelPath::parse_lenient) {
        Some(Ok(channel)) => Some(channel),
        Some(Err(error)) => {
            report.fail(
                "channel",
                &format!("{error}"),
                "pass --channel /<namespace>/<segments>",
            );
            return;
        }
        None if operation != Operation::Connect => {
            report.fail(
                "channel",
                &format!("{} needs a channel", operation.as_str()),
                "pass --channel /<namespace>/<segments>",
            );
            return;
        }
        None => None,
    };
    let mut hit = None;
    for (index, rule) in config.channel_rules.iter().enumerate() {
        let Ok(single) = ChannelRules::compile(std::slice::from_ref(rule)) else {
            continue;
        };
        let verdict = match single.decide(operation, channel.as_ref(), claims) {
            RuleDecision::Allowed { .. } => {
                hit.get_or_insert(index);
                "grants it".to_owned()
            }
            RuleDecision::Unrestricted => "does not list this operation".to_owned(),
            RuleDecision::Denied(why) => format!("does not grant it ({why})"),
        };
        report.info(
            &format!("channel rule [{index}]"),
            &format!("{:?} for {:?}: {verdict}", rule.channel, rule.operations),
        );
    }
    let what = format!(
        "{} {}",
        operation.as_str(),
        channel.as_ref().map_or(String::new(), |c| c.to_string())
    );
    match hit {
        Some(index) => report.ok("channel rules", &format!("{what}: rule [{index}] grants it")),
        None => report.fail(
            "channel rules",
            &format!("{what}: no rule grants it"),
            "add or widen a rule (docs/channel-rules.md); placeholders such as {sub} must equal the token's claim",
        ),
    }
}

/// The authorizer's own answer for this token and request.
async fn decision<W: Write>(
    raw: &str,
    authorizer: &Authorizer,
    operation: Operation,
    channel: Option<&str>,
    now: u64,
    report: &mut Report<W>,
) {
    let name = match operation {
        Operation::Connect => "EVENT_CONNECT",
        Operation::Subscribe => "EVENT_SUBSCRIBE",
        Operation::Publish => "EVENT_PUBLISH",
    };
    let mut context = json!({"apiId": "doctor", "accountId": "000000000000", "requestId": "doctor", "operation": name});
    if let Some(channel) = channel {
        context["channel"] = json!(channel);
        context["channelNamespaceName"] = json!(
            channel
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("")
        );
    }
    let event = json!({"authorizationToken": raw, "requestContext": context, "requestHeaders": {}});
    let decision = authorizer.authorize_at(&event, now).await;
    let ttl = decision.response.ttl().unwrap_or(0);
    match decision.denial {
        None => report.ok(
            "decision",
            &format!("{name} allowed by the authorizer (ttlOverride {ttl})"),
        ),
        Some(denial) => report.fail(
            "decision",
            &format!("{name} denied by the authorizer: {denial}"),
            fix(denial),
        ),
    }
}

fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn describe(denial: Denial) -> &'static str {
    match denial {
        Denial::TokenMissing => "no token, or only a wrapper",
        Denial::TokenTooLong => "longer than the authorizer accepts",
        Denial::TokenMalformed => "not a compact JWS once the configured wrappers are removed",
        Denial::HeaderInvalid => "the header is not a valid JOSE header",
        Denial::CritUnsupported => "the header has crit",
        Denial::TypeNotAllowed => "the header's typ is not a JWT type",
        Denial::AlgorithmNotAllowed => {
            "the algorithm is not allowed, or no key with this kid verifies it"
        }
        Denial::KidMissing => "the token names no kid and the key set has several keys",
        Denial::UnknownKid => "no key with this kid in the key set",
        Denial::KeyUnusable => "a key with this kid is published but cannot be used",
        Denial::BadSignature => "the signature does not verify",
        Denial::PayloadInvalid => "the payload is not a JSON object",
        Denial::UnknownIssuer => "iss is not a configured issuer",
        Denial::Expired => "expired",
        Denial::ExpirationMissing => "exp is missing",
        Denial::NotYetValid => "nbf is in the future",
        Denial::IssuedInFuture => "iat is in the future",
        Denial::AudienceMismatch => "aud matches no accepted audience",
        Denial::SubjectMissing => "sub is missing or empty",
        Denial::ClaimInvalid => "a registered claim has the wrong type",
        Denial::ProfileRejected => "the issuer profile's rules reject it",
        Denial::KeysUnavailable => "the key set could not be loaded",
        Denial::SecretUnavailable => "the shared secret could not be loaded",
        _ => "denied",
    }
}

/// What to do about a denial.
fn fix(denial: Denial) -> &'static str {
    match denial {
        Denial::TokenMissing => {
            "the client sends an empty token: load the session before connecting and pass authToken on every call"
        }
        Denial::TokenMalformed | Denial::TokenTooLong => {
            "send the JWT itself with exactly the configured prefix/suffix (TOKEN_PREFIXES / TOKEN_SUFFIXES); not a session id, not JSON, not quoted"
        }
        Denial::HeaderInvalid
        | Denial::CritUnsupported
        | Denial::TypeNotAllowed
        | Denial::PayloadInvalid => {
            "this is not a token the provider issues for APIs: use its access (or ID) token"
        }
        Denial::AlgorithmNotAllowed => {
            "add the token's alg to JWT_ALGORITHMS (algorithms), or check that the key with this kid is of that type"
        }
        Denial::KidMissing => "tokens must name their key (kid) when the key set has several",
        Denial::UnknownKid => {
            "the token is from another project or environment, or the provider rotated keys (the set is refetched on an unknown kid): compare the kid with the key set above"
        }
        Denial::KeyUnusable => {
            "the provider publishes this key in a form that cannot verify (see the skipped keys above): fix the published key"
        }
        Denial::BadSignature => {
            "signed by another key or secret: another project, or the wrong HS256 secret (JWT_SECRET_ARN)"
        }
        Denial::UnknownIssuer => "set JWT_ISSUER (issuer) to exactly the token's iss",
        Denial::Expired => "get a fresh token; clients must refresh before exp",
        Denial::NotYetValid | Denial::IssuedInFuture => {
            "the clock of the issuer or of this machine is off; sync it (leeway: JWT_LEEWAY_SECONDS)"
        }
        Denial::AudienceMismatch => {
            "set JWT_AUDIENCE (audience) to one of the token's aud values, or use the token meant for this API"
        }
        Denial::ExpirationMissing | Denial::SubjectMissing | Denial::ClaimInvalid => {
            "use the provider's standard access or ID token"
        }
        Denial::ProfileRejected => "see the profile rule above",
        Denial::KeysUnavailable => "see the key set step above",
        Denial::SecretUnavailable => "see the shared secret step above",
        _ => "see docs/channel-rules.md: add or widen a rule for this operation and channel",
    }
}

fn profile_fix(profile: &str) -> &'static str {
    match profile {
        "supabase" => {
            "Supabase: role must be authenticated (the anon/service keys are not user tokens); JWT_ALLOW_ANONYMOUS and JWT_REQUIRED_AAL set the other rules"
        }
        "clerk" => {
            "Clerk: azp must be in JWT_AUTHORIZED_PARTIES (your frontend origins) and, unless JWT_REQUIRE_SESSION=false, sid present"
        }
        "cognito" => {
            "Cognito: token_use must equal JWT_TOKEN_USE (access or id) and client_id (access) / aud (id) be in JWT_CLIENT_IDS"
        }
        "firebase" => "Firebase: sub and auth_time must be present, auth_time not in the future",
        _ => "check the profile's rules in docs/providers/",
    }
}
