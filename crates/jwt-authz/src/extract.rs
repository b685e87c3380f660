//! Token extraction: from the raw `authorizationToken` to a compact JWS.
//!
//! AppSync routes a request to the Lambda authorizer only when its `Authorization` value
//! does not look like something another configured mode claims (`Bearer` is reserved for
//! OIDC, a raw JWT is captured by OIDC/Cognito modes when those are enabled), so clients
//! wrap tokens in a custom prefix or suffix. We strip, in order: surrounding whitespace, a
//! case-insensitive `Bearer ` (some clients add it anyway), the first matching configured
//! prefix, the first matching configured suffix, and whitespace again. Nothing longer than
//! [`MAX_TOKEN_LEN`] is looked at, and the result must be three base64url segments.
//!
//! Extraction borrows from the input: no allocation on the hot path.

use crate::Denial;

/// The longest `authorizationToken` considered, in bytes. AppSync documents 2048 characters
/// for GraphQL tokens; we allow twice that for large identity-provider tokens plus
/// wrappers, and refuse anything larger without parsing it.
pub const MAX_TOKEN_LEN: usize = 4096;

/// Strips configured wrappers from raw tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenExtractor {
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

impl TokenExtractor {
    /// An extractor for the given prefixes and suffixes (tried in order, first match wins;
    /// empty strings are ignored).
    pub(crate) fn new(prefixes: Vec<String>, suffixes: Vec<String>) -> Self {
        let keep = |v: Vec<String>| v.into_iter().filter(|s| !s.is_empty()).collect();
        Self {
            prefixes: keep(prefixes),
            suffixes: keep(suffixes),
        }
    }

    /// Returns the compact JWS inside `raw`, or why there is none.
    pub(crate) fn extract<'a>(&self, raw: &'a str) -> Result<&'a str, Denial> {
        if raw.len() > MAX_TOKEN_LEN {
            return Err(Denial::TokenTooLong);
        }
        let mut token = raw.trim();
        if token.is_empty() {
            return Err(Denial::TokenMissing);
        }
        if let Some(rest) = strip_bearer(token) {
            token = rest;
        }
        if let Some(rest) = self
            .prefixes
            .iter()
            .find_map(|p| token.strip_prefix(p.as_str()))
        {
            token = rest;
        }
        if let Some(rest) = self
            .suffixes
            .iter()
            .find_map(|s| token.strip_suffix(s.as_str()))
        {
            token = rest;
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(Denial::TokenMissing);
        }
        if !is_compact_jws(token) {
            return Err(Denial::TokenMalformed);
        }
        Ok(token)
    }
}

/// Strips a case-insensitive `Bearer` scheme followed by whitespace (or nothing).
fn strip_bearer(token: &str) -> Option<&str> {
    let head = token.get(..6)?;
    let rest = &token[6..];
    (head.eq_ignore_ascii_case("bearer")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace)))
    .then(|| rest.trim_start())
}

/// Whether `token` is three non-empty dot-separated segments of the base64url alphabet
/// (no padding).
pub(crate) fn is_compact_jws(token: &str) -> bool {
    // One pass over every byte with no early exit, which the compiler vectorizes: a
    // byte-at-a-time check with early exits cost ≈ 10 instructions per byte, ≈ 3 % of an
    // RS256 verification (BENCHMARKS.md). The dots are then found with memchr.
    let alphabet = token
        .bytes()
        .fold(true, |ok, b| ok & (is_base64url_byte(b) | (b == b'.')));
    let mut segments = token.split('.');
    let non_empty = |s: Option<&str>| s.is_some_and(|s| !s.is_empty());
    alphabet
        && non_empty(segments.next())
        && non_empty(segments.next())
        && non_empty(segments.next())
        && segments.next().is_none()
}

fn is_base64url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

    fn extractor() -> TokenExtractor {
        TokenExtractor::new(vec!["supabase:".into(), "Token ".into()], vec![".x".into()])
    }

    #[test]
    fn raw_token_passes_through() {
        assert_eq!(extractor().extract(JWT), Ok(JWT));
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert_eq!(extractor().extract(&format!("  {JWT}\n")), Ok(JWT));
    }

    #[test]
    fn bearer_prefix_is_stripped_case_insensitively() {
        for bearer in ["Bearer ", "bearer ", "BEARER  "] {
            assert_eq!(
                extractor().extract(&format!("{bearer}{JWT}")),
                Ok(JWT),
                "{bearer:?}"
            );
        }
    }

    #[test]
    fn configured_prefix_and_suffix_are_stripped() {
        assert_eq!(extractor().extract(&format!("supabase:{JWT}")), Ok(JWT));
        assert_eq!(extractor().extract(&format!("Token {JWT}")), Ok(JWT));
        assert_eq!(extractor().extract(&format!("supabase:{JWT}.x")), Ok(JWT));
    }

    #[test]
    fn unconfigured_wrapper_is_malformed() {
        assert_eq!(
            extractor().extract(&format!("other:{JWT}")),
            Err(Denial::TokenMalformed)
        );
    }

    #[test]
    fn empty_and_prefix_only_tokens_are_missing() {
        assert_eq!(extractor().extract(""), Err(Denial::TokenMissing));
        assert_eq!(extractor().extract("   "), Err(Denial::TokenMissing));
        assert_eq!(extractor().extract("supabase:"), Err(Denial::TokenMissing));
        assert_eq!(extractor().extract("Bearer "), Err(Denial::TokenMissing));
    }

    #[test]
    fn oversize_token_is_refused_before_parsing() {
        let huge = format!("{JWT}{}", "A".repeat(MAX_TOKEN_LEN));
        assert_eq!(extractor().extract(&huge), Err(Denial::TokenTooLong));
    }

    #[test]
    fn anything_but_three_base64url_segments_is_malformed() {
        for bad in [
            "a.b", "a.b.c.d", "a..c", ".b.c", "a.b.", "a.b=.c", "a.b+.c", "a.b/.c", "a b.c.d",
            "ä.b.c",
        ] {
            assert_eq!(
                extractor().extract(bad),
                Err(Denial::TokenMalformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn multibyte_input_near_the_bearer_check_does_not_panic() {
        assert_eq!(extractor().extract("ääää.b.c"), Err(Denial::TokenMalformed));
    }
}
