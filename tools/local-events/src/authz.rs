//! Authorization as AppSync does it: the request's credentials select the auth mode
//! (a SigV4 `Authorization` is `AWS_IAM`, any other `Authorization` is `AWS_LAMBDA`), the
//! mode must be one the operation allows in that namespace, and then the mode's check
//! runs — the Lambda authorizer, or SigV4 verification against the development
//! credentials. The local-only `none` mode allows whatever reaches it.
//!
//! Every decision is logged once, with the operation, channel, mode and outcome; never a
//! token, signature or key.

use std::collections::HashMap;
use std::time::SystemTime;

use appsync_types::{ChannelPath, EventsOperation};

use crate::lambda::{Answer, LambdaAuthorizer, Question};
use crate::modes::{self, AuthMode};
use crate::token::IdentityValidation;
use testkit::sigv4::{self, DevCredentials, RequestParts};

/// What a request presents, from its (lower-case) headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// A SigV4 `Authorization` header.
    Signature,
    /// Another `Authorization` value: a Lambda token.
    Token(&'a str),
    /// An `x-api-key` (API_KEY mode, not emulated).
    ApiKey,
    /// Nothing.
    Nothing,
}

impl<'a> Presented<'a> {
    /// Classifies `parts`' credentials.
    pub fn of(parts: &'a RequestParts<'_>) -> Self {
        match parts.header("authorization").map(str::trim) {
            Some(value) if value.starts_with("AWS4-") => Self::Signature,
            Some(value) if !value.is_empty() => Self::Token(value),
            _ if parts.header("x-api-key").is_some() => Self::ApiKey,
            _ => Self::Nothing,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Signature => "is SigV4-signed (AWS_IAM)",
            Self::Token(_) => "carries a token (AWS_LAMBDA)",
            Self::ApiKey => "carries an API key (API_KEY, not emulated by local-events)",
            Self::Nothing => "carries no credentials",
        }
    }
}

/// What is being authorized.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    /// The operation.
    pub operation: EventsOperation,
    /// The channel (`None` on connect).
    pub channel: Option<&'a ChannelPath>,
    /// The modes the operation allows here.
    pub allowed: &'a [AuthMode],
    /// The request (or WebSocket auth object) as SigV4 sees it: lower-case header names.
    pub parts: RequestParts<'a>,
    /// The headers as the client sent them, for the authorizer's `requestHeaders`.
    pub request_headers: HashMap<String, String>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// `UnauthorizedException` (HTTP 401).
    Unauthorized(String),
    /// A SigV4 signature that does not verify: `InvalidSignatureException` (HTTP 403).
    InvalidSignature(String),
}

impl Denial {
    /// The message for the client.
    pub fn message(&self) -> &str {
        match self {
            Self::Unauthorized(m) | Self::InvalidSignature(m) => m,
        }
    }

    /// The error type for the client.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "UnauthorizedException",
            Self::InvalidSignature(_) => "InvalidSignatureException",
        }
    }
}

/// An allowed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The mode that allowed it.
    pub mode: AuthMode,
    /// For IAM, the signed region.
    pub signed_region: Option<String>,
}

/// The decision maker.
#[derive(Debug)]
pub struct Authz {
    lambda: LambdaAuthorizer,
    iam: DevCredentials,
    region: String,
    identity_validation: Option<IdentityValidation>,
}

impl Authz {
    /// Authorizes with `lambda` and the development credentials `iam` for `region`.
    pub fn new(lambda: LambdaAuthorizer, iam: DevCredentials, region: String) -> Self {
        Self {
            lambda,
            iam,
            region,
            identity_validation: None,
        }
    }

    /// Refuses Lambda-mode tokens that do not match `check` before the authorizer is
    /// asked, as AppSync's `IdentityValidationExpression` does.
    pub fn with_identity_validation(mut self, check: Option<IdentityValidation>) -> Self {
        self.identity_validation = check;
        self
    }

    /// The Lambda authorizer client.
    pub fn lambda(&self) -> &LambdaAuthorizer {
        &self.lambda
    }

    /// Decides, and logs the decision.
    pub async fn decide(&self, subject: Subject<'_>) -> Result<Allowed, Denial> {
        let operation = subject.operation.clone();
        let channel = subject.channel.map_or("-", ChannelPath::as_str).to_owned();
        let result = self.check(subject).await;
        match &result {
            Ok(allowed) => tracing::info!(%operation, %channel, mode = %allowed.mode, "authorized"),
            Err(denial) => tracing::warn!(
                %operation,
                %channel,
                error_type = denial.error_type(),
                reason = denial.message(),
                "denied"
            ),
        }
        result
    }

    async fn check(&self, subject: Subject<'_>) -> Result<Allowed, Denial> {
        let presented = Presented::of(&subject.parts);
        let allows = |mode| subject.allowed.contains(&mode);
        match presented {
            Presented::Signature if allows(AuthMode::Iam) => {
                let verified =
                    sigv4::verify(&subject.parts, &self.iam, &self.region, SystemTime::now())
                        .map_err(|refusal| Denial::InvalidSignature(refusal.to_string()))?;
                if verified.session_token {
                    tracing::debug!(
                        "X-Amz-Security-Token present (not checked: development credentials)"
                    );
                }
                Ok(Allowed {
                    mode: AuthMode::Iam,
                    signed_region: Some(verified.region),
                })
            }
            Presented::Token(token) if allows(AuthMode::Lambda) => {
                if let Some(check) = &self.identity_validation
                    && !check.admits(token)
                {
                    // AppSync answers exactly like a deny, without invoking the function.
                    return Err(Denial::Unauthorized(format!(
                        "the token does not match the API's IdentityValidationExpression {:?} \
                         (a missing or wrong TokenPrefix/TokenSuffix?); the authorizer was not invoked",
                        check.pattern()
                    )));
                }
                let answer = self
                    .lambda
                    .ask(Question {
                        operation: subject.operation,
                        token,
                        channel: subject.channel,
                        headers: subject.request_headers,
                    })
                    .await;
                match answer {
                    Answer::Allow { .. } => Ok(Allowed {
                        mode: AuthMode::Lambda,
                        signed_region: None,
                    }),
                    Answer::Deny { reason } => Err(Denial::Unauthorized(reason)),
                }
            }
            _ if allows(AuthMode::None) => Ok(Allowed {
                mode: AuthMode::None,
                signed_region: None,
            }),
            _ => {
                let place = match subject.channel {
                    Some(channel) => format!("namespace '{}'", channel.namespace()),
                    None => "this API".to_owned(),
                };
                Err(Denial::Unauthorized(format!(
                    "{} in {place} allows {}; this request {}",
                    subject.operation,
                    modes::list(subject.allowed),
                    presented.describe()
                )))
            }
        }
    }
}

/// Lower-cased `(name, value)` pairs and the original map, from a WebSocket auth object.
pub fn header_pairs(object: &HashMap<String, String>) -> Vec<(String, String)> {
    object
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect()
}
