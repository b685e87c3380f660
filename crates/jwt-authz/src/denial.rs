//! Why a request was denied: a fixed set of reason codes for logs and metrics.
//!
//! Codes never carry token material. [`Denial::is_infrastructure`] separates denials caused
//! by our dependencies (the caller may retry and succeed) from denials caused by the token
//! or request.

use std::fmt;

use crate::rules::RuleDenial;

/// A reason for denying a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// No token, or only a wrapper with nothing inside.
    TokenMissing,
    /// Longer than [`MAX_TOKEN_LEN`](crate::extract::MAX_TOKEN_LEN); not parsed.
    TokenTooLong,
    /// Not a compact JWS, or a segment does not decode.
    TokenMalformed,
    /// The JOSE header is not a JSON object of the expected shape.
    HeaderInvalid,
    /// The header has a `crit` parameter (we implement no extensions).
    CritUnsupported,
    /// The header's `typ` is not a JWT type.
    TypeNotAllowed,
    /// The header's `alg` is not in the issuer's allow-list (or `none`).
    AlgorithmNotAllowed,
    /// The issuer has several keys and the token names none.
    KidMissing,
    /// No key with the token's `kid` (after a refresh, if one was allowed).
    UnknownKid,
    /// The key set publishes a key with the token's `kid` but none of those keys can be
    /// used (`use` not `sig`, `key_ops` without `verify`, unsupported type or curve, `alg`
    /// mismatch, invalid members); or the token has no `kid` and the set has no usable key.
    /// A fault of the key set, not of the token: the key-set load logged why at WARN.
    KeyUnusable,
    /// The signature does not verify.
    BadSignature,
    /// The payload is not a JSON object, or `iss` is absent or not a string.
    PayloadInvalid,
    /// `iss` is not a configured issuer.
    UnknownIssuer,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `exp` is missing.
    ExpirationMissing,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// `aud` matches none of the configured audiences, or is missing.
    AudienceMismatch,
    /// `sub` is missing or empty.
    SubjectMissing,
    /// A registered claim has the wrong type (e.g. `exp` as a string).
    ClaimInvalid,
    /// The issuer profile's rules reject the token (e.g. a Supabase `anon` key).
    ProfileRejected,
    /// The key set is unavailable (JWKS unreachable and nothing cached).
    KeysUnavailable,
    /// The shared secret is unavailable (secret store unreachable).
    SecretUnavailable,
    /// The event is not an AppSync authorizer request.
    BadRequest,
    /// `requestContext.operation` is not one we know.
    UnknownOperation,
    /// The channel in the request is not a valid channel path.
    ChannelInvalid,
    /// Channel rules deny this operation on this channel.
    Channel(RuleDenial),
}

impl Denial {
    /// The stable snake_case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TokenMissing => "token_missing",
            Self::TokenTooLong => "token_too_long",
            Self::TokenMalformed => "token_malformed",
            Self::HeaderInvalid => "header_invalid",
            Self::CritUnsupported => "crit_unsupported",
            Self::TypeNotAllowed => "typ_not_allowed",
            Self::AlgorithmNotAllowed => "alg_not_allowed",
            Self::KidMissing => "kid_missing",
            Self::UnknownKid => "unknown_kid",
            Self::KeyUnusable => "key_unusable",
            Self::BadSignature => "bad_signature",
            Self::PayloadInvalid => "payload_invalid",
            Self::UnknownIssuer => "unknown_issuer",
            Self::Expired => "expired",
            Self::ExpirationMissing => "exp_missing",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::AudienceMismatch => "audience_mismatch",
            Self::SubjectMissing => "sub_missing",
            Self::ClaimInvalid => "claim_invalid",
            Self::ProfileRejected => "profile_rejected",
            Self::KeysUnavailable => "keys_unavailable",
            Self::SecretUnavailable => "secret_unavailable",
            Self::BadRequest => "bad_request",
            Self::UnknownOperation => "unknown_operation",
            Self::ChannelInvalid => "channel_invalid",
            Self::Channel(rule) => rule.code(),
        }
    }

    /// Whether the denial was caused by an unavailable dependency rather than by the
    /// request: the same request may succeed once the dependency recovers.
    pub fn is_infrastructure(&self) -> bool {
        matches!(self, Self::KeysUnavailable | Self::SecretUnavailable)
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
