//! What local-events itself reads from a Lambda-mode token, as AppSync does around the
//! authorizer: the API's `IdentityValidationExpression`, checked before the authorizer is
//! invoked, and the token's expiry, which ends a subscription that outlives it.
//!
//! Neither is a security check (local-events is a development tool and the authorizer is
//! what verifies tokens); both exist so a client that works here also works on AppSync.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regex::Regex;

/// The `AWS_LAMBDA` provider's `IdentityValidationExpression`, compiled.
///
/// AppSync runs it on the JVM, where a validation expression is matched against the
/// whole token (`String.matches`). It is applied the same way here — anchored at both
/// ends — so an unanchored expression never accepts more locally than it would deployed.
#[derive(Debug, Clone)]
pub struct IdentityValidation {
    pattern: String,
    whole: Regex,
}

impl IdentityValidation {
    /// Compiles `pattern`; the error says why it cannot be used.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let whole = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            format!("{pattern:?} is not a regular expression local-events can apply: {e}")
        })?;
        Ok(Self {
            pattern: pattern.to_owned(),
            whole,
        })
    }

    /// The expression as written in the template.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether AppSync would pass `token` on to the authorizer.
    pub fn admits(&self, token: &str) -> bool {
        self.whole.is_match(token)
    }
}

impl PartialEq for IdentityValidation {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for IdentityValidation {}

/// The `exp` of the JWT inside `token`, read without verifying anything (the authorizer
/// has just verified it): `None` when the token holds no JWT with a numeric `exp`.
///
/// A wrapper can only use characters that are not `.` (the template's `TokenPrefix`
/// pattern), so whatever surrounds the JWT, the second of exactly three `.`-separated
/// parts is its payload.
pub fn expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    (exp.is_finite() && exp >= 0.0).then(|| UNIX_EPOCH + Duration::from_secs_f64(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPRESSION: &str = r"^supabase:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$";

    fn jwt(claims: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn a_wrapped_token_passes_and_a_bare_one_is_refused() {
        let check = IdentityValidation::new(EXPRESSION).expect("compiles");
        assert!(check.admits(&format!("supabase:{}", jwt("{}"))));
        assert!(!check.admits(&jwt("{}")), "no prefix");
        assert!(!check.admits(&format!("Bearer supabase:{}", jwt("{}"))));
        assert!(!check.admits(&format!("supabase:{} ", jwt("{}"))));
    }

    #[test]
    fn an_unanchored_expression_must_match_the_whole_token() {
        let check = IdentityValidation::new("supabase:.+").expect("compiles");
        assert!(check.admits("supabase:abc"));
        assert!(
            !check.admits("x-supabase:abc"),
            "matched as a whole, like the JVM"
        );
    }

    #[test]
    fn an_expression_rust_cannot_compile_is_refused_with_the_reason() {
        let error = IdentityValidation::new("(?<=x)y").expect_err("look-behind");
        assert!(error.contains("(?<=x)y"), "{error}");
    }

    #[test]
    fn the_expiry_is_read_from_the_jwt_whatever_wraps_it() {
        let token = jwt(r#"{"sub":"u","exp":1767229200}"#);
        let exp = UNIX_EPOCH + Duration::from_secs(1_767_229_200);
        assert_eq!(expiry(&token), Some(exp));
        assert_eq!(expiry(&format!("supabase:{token}")), Some(exp));
        assert_eq!(expiry(&format!("{token}:suffix")), Some(exp));
    }

    #[test]
    fn tokens_without_a_readable_exp_have_no_expiry() {
        assert_eq!(expiry("opaque-token"), None);
        assert_eq!(expiry(&jwt(r#"{"sub":"u"}"#)), None);
        assert_eq!(expiry(&jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(expiry("a.!!!.c"), None);
        assert_eq!(expiry(&format!("{}.d", jwt(r#"{"exp":1}"#))), None);
    }
}
