//! Registered-claim checks (RFC 7519 §4.1) on a verified payload.
//!
//! Every claim we read is type-checked: a claim of the wrong type is a deny, never
//! "absent" (the CVE-2026-25537 class, where a string `exp` skipped expiry checks).
//! `exp` is required; `nbf` and `iat` are checked when present, all with the same leeway;
//! `aud` is any-of; `sub` must be a non-empty string.

use serde_json::{Map, Value};

use crate::Denial;

/// The claim checks of one issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimChecks {
    /// Accepted audiences (any-of). `None` means `aud` is not checked (only its type),
    /// which must be explicit in configuration or implied by the profile.
    pub audiences: Option<Vec<String>>,
    /// Clock skew tolerance in seconds for `exp`, `nbf` and `iat`.
    pub leeway: u64,
}

/// What the checks established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifetime {
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
}

impl ClaimChecks {
    /// Checks `claims` at time `now` (seconds since the epoch).
    pub(crate) fn check(&self, claims: &Map<String, Value>, now: u64) -> Result<Lifetime, Denial> {
        let exp = numeric_date(claims.get("exp"))?.ok_or(Denial::ExpirationMissing)?;
        if now >= exp.saturating_add(self.leeway) {
            return Err(Denial::Expired);
        }
        if numeric_date(claims.get("nbf"))?.is_some_and(|nbf| nbf > now.saturating_add(self.leeway))
        {
            return Err(Denial::NotYetValid);
        }
        if numeric_date(claims.get("iat"))?.is_some_and(|iat| iat > now.saturating_add(self.leeway))
        {
            return Err(Denial::IssuedInFuture);
        }
        match claims.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => {}
            None | Some(Value::Null) => return Err(Denial::SubjectMissing),
            Some(Value::String(_)) => return Err(Denial::SubjectMissing),
            Some(_) => return Err(Denial::ClaimInvalid),
        }
        self.check_audience(claims.get("aud"))?;
        Ok(Lifetime { expires_at: exp })
    }

    fn check_audience(&self, aud: Option<&Value>) -> Result<(), Denial> {
        let matches = |a: &str| {
            self.audiences
                .as_ref()
                .is_none_or(|accepted| accepted.iter().any(|x| x == a))
        };
        match aud {
            None | Some(Value::Null) if self.audiences.is_some() => Err(Denial::AudienceMismatch),
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(a)) => {
                if matches(a) {
                    Ok(())
                } else {
                    Err(Denial::AudienceMismatch)
                }
            }
            Some(Value::Array(items)) => {
                let mut any = self.audiences.is_none();
                for item in items {
                    let Value::String(a) = item else {
                        return Err(Denial::ClaimInvalid);
                    };
                    any |= self.audiences.is_some() && matches(a);
                }
                if any {
                    Ok(())
                } else {
                    Err(Denial::AudienceMismatch)
                }
            }
            Some(_) => Err(Denial::ClaimInvalid),
        }
    }
}

/// A NumericDate claim: absent/`null` is `None`; a non-negative JSON number is seconds
/// (fractions truncated, huge values saturate); anything else is a type error.
fn numeric_date(value: Option<&Value>) -> Result<Option<u64>, Denial> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(v) = n.as_u64() {
                Ok(Some(v))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite() && *f >= 0.0) {
                // `as` saturates at u64::MAX for huge values.
                Ok(Some(f as u64))
            } else {
                Err(Denial::ClaimInvalid)
            }
        }
        Some(_) => Err(Denial::ClaimInvalid),
    }
}

/// Reads a dotted claim path (`app_metadata.org_id`) from the claims.
///
/// A literal key containing dots (`cognito:groups` has none, but `https://x/roles` may)
/// is tried first, so namespaced claims stay reachable.
pub(crate) fn claim_at<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    let mut parts = path.split('.');
    let mut current = claims.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;

    fn checks(aud: Option<&[&str]>) -> ClaimChecks {
        ClaimChecks {
            audiences: aud.map(|a| a.iter().map(|s| s.to_string()).collect()),
            leeway: 30,
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    fn run(aud: Option<&[&str]>, v: Value) -> Result<Lifetime, Denial> {
        checks(aud).check(&claims(v), NOW)
    }

    #[test]
    fn valid_claims_pass_and_report_expiry() {
        let r = run(
            Some(&["authenticated"]),
            json!({"sub":"u","aud":"authenticated","exp":NOW+60,"iat":NOW,"nbf":NOW}),
        );
        assert_eq!(
            r,
            Ok(Lifetime {
                expires_at: NOW + 60
            })
        );
    }

    #[test]
    fn missing_exp_is_denied() {
        assert_eq!(
            run(None, json!({"sub":"u"})),
            Err(Denial::ExpirationMissing)
        );
    }

    #[test]
    fn exp_of_the_wrong_type_is_denied_not_ignored() {
        for exp in [
            json!("9999999999"),
            json!(true),
            json!([1]),
            json!({}),
            json!(-5),
        ] {
            assert_eq!(
                run(None, json!({"sub":"u","exp":exp})),
                Err(Denial::ClaimInvalid),
                "{exp}"
            );
        }
    }

    #[test]
    fn expired_beyond_leeway_is_denied_within_leeway_allowed() {
        assert_eq!(
            run(None, json!({"sub":"u","exp":NOW-31})),
            Err(Denial::Expired)
        );
        assert_eq!(
            run(None, json!({"sub":"u","exp":NOW-30})),
            Err(Denial::Expired)
        );
        assert!(run(None, json!({"sub":"u","exp":NOW-29})).is_ok());
    }

    #[test]
    fn future_nbf_and_iat_are_denied() {
        assert_eq!(
            run(None, json!({"sub":"u","exp":NOW+99,"nbf":NOW+31})),
            Err(Denial::NotYetValid)
        );
        assert_eq!(
            run(None, json!({"sub":"u","exp":NOW+99,"iat":NOW+31})),
            Err(Denial::IssuedInFuture)
        );
        assert!(
            run(
                None,
                json!({"sub":"u","exp":NOW+99,"iat":NOW+30,"nbf":NOW+30})
            )
            .is_ok()
        );
        assert_eq!(
            run(None, json!({"sub":"u","exp":NOW+99,"nbf":"0"})),
            Err(Denial::ClaimInvalid)
        );
    }

    #[test]
    fn fractional_and_huge_numeric_dates_are_handled() {
        assert!(run(None, json!({"sub":"u","exp":(NOW as f64)+60.5})).is_ok());
        assert!(run(None, json!({"sub":"u","exp":1e300})).is_ok());
        assert_eq!(
            run(None, json!({"sub":"u","exp":NOW+99,"iat":1e300})),
            Err(Denial::IssuedInFuture)
        );
    }

    #[test]
    fn sub_must_be_a_non_empty_string() {
        assert_eq!(run(None, json!({"exp":NOW+9})), Err(Denial::SubjectMissing));
        assert_eq!(
            run(None, json!({"exp":NOW+9,"sub":""})),
            Err(Denial::SubjectMissing)
        );
        assert_eq!(
            run(None, json!({"exp":NOW+9,"sub":42})),
            Err(Denial::ClaimInvalid)
        );
    }

    #[test]
    fn audience_is_any_of() {
        let aud = Some(&["a", "b"][..]);
        assert!(run(aud, json!({"sub":"u","exp":NOW+9,"aud":"b"})).is_ok());
        assert!(run(aud, json!({"sub":"u","exp":NOW+9,"aud":["x","a"]})).is_ok());
        assert_eq!(
            run(aud, json!({"sub":"u","exp":NOW+9,"aud":["x"]})),
            Err(Denial::AudienceMismatch)
        );
        assert_eq!(
            run(aud, json!({"sub":"u","exp":NOW+9})),
            Err(Denial::AudienceMismatch)
        );
        assert_eq!(
            run(aud, json!({"sub":"u","exp":NOW+9,"aud":[1]})),
            Err(Denial::ClaimInvalid)
        );
        assert_eq!(
            run(aud, json!({"sub":"u","exp":NOW+9,"aud":{"a":1}})),
            Err(Denial::ClaimInvalid)
        );
    }

    #[test]
    fn unchecked_audience_is_still_type_checked() {
        assert!(run(None, json!({"sub":"u","exp":NOW+9,"aud":"anything"})).is_ok());
        assert_eq!(
            run(None, json!({"sub":"u","exp":NOW+9,"aud":5})),
            Err(Denial::ClaimInvalid)
        );
    }

    #[test]
    fn dotted_claim_paths_reach_nested_values() {
        let c = claims(json!({"app_metadata":{"org_id":"o1"},"https://x.io/roles":["a"]}));
        assert_eq!(claim_at(&c, "app_metadata.org_id"), Some(&json!("o1")));
        assert_eq!(claim_at(&c, "https://x.io/roles"), Some(&json!(["a"])));
        assert_eq!(claim_at(&c, "app_metadata.missing"), None);
    }
}
