//! Issuer profiles: what each identity provider's tokens must satisfy beyond the
//! registered claims, and the defaults each provider implies.
//!
//! | profile   | default audience        | default keys                                   | extra checks |
//! |-----------|-------------------------|------------------------------------------------|--------------|
//! | supabase  | `authenticated`         | `<issuer>/.well-known/jwks.json`               | `role` = `authenticated` (rejects `anon`/`service_role` keys); `is_anonymous` / `aal` options |
//! | auth0     | required in config      | OIDC discovery                                 | — |
//! | clerk     | none (Clerk sets no aud)| `<issuer>/.well-known/jwks.json`               | `azp` ∈ authorized parties; `sid` present (session token, not a template token) |
//! | cognito   | none (`client_id`)      | `<issuer>/.well-known/jwks.json`               | `token_use` ∈ accepted kinds (access, id or both); an access token's `client_id`, an ID token's `aud`, ∈ client ids |
//! | firebase  | the project id          | Google's securetoken JWK set                   | issuer `https://securetoken.google.com/<project>`; `kid` required; `sub` ≤ 128 chars; `auth_time` not in the future |
//! | oidc      | required in config      | OIDC discovery                                 | — |

use std::str::FromStr;

use serde_json::{Map, Value};

use crate::Denial;
use crate::claims::claim_at;

/// Google's JWK-form key set for Firebase ID tokens.
pub(crate) const FIREBASE_JWKS_URL: &str =
    "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com";
/// The issuer prefix of Firebase ID tokens.
pub(crate) const FIREBASE_ISSUER_PREFIX: &str = "https://securetoken.google.com/";

/// An identity provider profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// Supabase Auth (asymmetric signing keys or the legacy HS256 secret).
    #[default]
    Supabase,
    /// Auth0.
    Auth0,
    /// Clerk session tokens.
    Clerk,
    /// Amazon Cognito user pools.
    Cognito,
    /// Firebase Authentication ID tokens.
    Firebase,
    /// Any OpenID Connect issuer.
    Oidc,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "supabase" => Self::Supabase,
            "auth0" => Self::Auth0,
            "clerk" => Self::Clerk,
            "cognito" => Self::Cognito,
            "firebase" => Self::Firebase,
            "oidc" => Self::Oidc,
            other => {
                return Err(format!(
                    "unknown profile {other:?}; expected supabase, auth0, clerk, cognito, firebase or oidc"
                ));
            }
        })
    }
}

impl Profile {
    /// The profile's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Supabase => "supabase",
            Self::Auth0 => "auth0",
            Self::Clerk => "clerk",
            Self::Cognito => "cognito",
            Self::Firebase => "firebase",
            Self::Oidc => "oidc",
        }
    }

    /// Claims copied into `handlerContext`/`resolverContext` besides `sub` and `iss`.
    pub fn default_context_claims(&self) -> &'static [&'static str] {
        match self {
            Self::Supabase => &["role", "aal", "session_id", "is_anonymous"],
            Self::Auth0 => &["scope", "azp"],
            Self::Clerk => &["sid", "azp", "org_id", "org_role"],
            Self::Cognito => &[
                "token_use",
                "client_id",
                "cognito:username",
                "username",
                "cognito:groups",
                "scope",
            ],
            Self::Firebase => &["email", "email_verified"],
            Self::Oidc => &[],
        }
    }
}

/// Cognito `token_use` accepted by an issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenUse {
    /// Access tokens (`client_id` claim, no `aud`).
    Access,
    /// ID tokens (`aud` = client id).
    Id,
}

/// The profile-specific checks of one issuer, resolved from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProfileChecks {
    /// Supabase: `role` must be `authenticated`.
    Supabase {
        /// Accept `is_anonymous: true` users. Default true (Supabase gives them
        /// `role: authenticated`); channel rules can still exclude them.
        allow_anonymous: bool,
        /// Minimum authenticator assurance level (`aal1` or `aal2`), if any.
        required_aal: Option<String>,
    },
    /// Clerk.
    Clerk {
        /// `azp` must be one of these origins.
        authorized_parties: Vec<String>,
        /// Require `sid` (session tokens have it, JWT-template tokens do not). Default true.
        require_session: bool,
    },
    /// Cognito.
    Cognito {
        /// The token kinds accepted (one or both). Each kind is checked its own way: an
        /// access token's `client_id`, an ID token's `aud`.
        token_uses: Vec<TokenUse>,
        /// App client ids accepted (`client_id` for access tokens, `aud` for id tokens).
        client_ids: Vec<String>,
    },
    /// Firebase.
    Firebase,
    /// No checks beyond the registered claims.
    None,
}

impl ProfileChecks {
    /// Applies the checks to verified claims at `now` (seconds) with `leeway`.
    pub(crate) fn check(
        &self,
        claims: &Map<String, Value>,
        now: u64,
        leeway: u64,
    ) -> Result<(), Denial> {
        let str_claim = |name: &str| claim_at(claims, name).and_then(Value::as_str);
        match self {
            Self::Supabase {
                allow_anonymous,
                required_aal,
            } => {
                if str_claim("role") != Some("authenticated") {
                    return Err(Denial::ProfileRejected);
                }
                match claims.get("is_anonymous") {
                    None | Some(Value::Bool(false)) => {}
                    Some(Value::Bool(true)) if *allow_anonymous => {}
                    Some(Value::Bool(true)) => return Err(Denial::ProfileRejected),
                    Some(_) => return Err(Denial::ClaimInvalid),
                }
                if let Some(required) = required_aal {
                    let level =
                        |aal: &str| aal.strip_prefix("aal").and_then(|n| n.parse::<u8>().ok());
                    let have = str_claim("aal").and_then(level);
                    if have.is_none() || have < level(required) {
                        return Err(Denial::ProfileRejected);
                    }
                }
                Ok(())
            }
            Self::Clerk {
                authorized_parties,
                require_session,
            } => {
                match claims.get("azp") {
                    Some(Value::String(azp)) if authorized_parties.iter().any(|p| p == azp) => {}
                    None if authorized_parties.is_empty() => {}
                    Some(Value::String(_)) | None => return Err(Denial::ProfileRejected),
                    Some(_) => return Err(Denial::ClaimInvalid),
                }
                if *require_session && str_claim("sid").is_none_or(str::is_empty) {
                    return Err(Denial::ProfileRejected);
                }
                Ok(())
            }
            Self::Cognito {
                token_uses,
                client_ids,
            } => {
                // The token says what it is; that kind must be accepted, and it decides
                // which claim names the app client.
                let (token_use, client_claim) = match str_claim("token_use") {
                    Some("access") => (TokenUse::Access, "client_id"),
                    Some("id") => (TokenUse::Id, "aud"),
                    _ => return Err(Denial::ProfileRejected),
                };
                if !token_uses.contains(&token_use) {
                    return Err(Denial::ProfileRejected);
                }
                match str_claim(client_claim) {
                    Some(id) if client_ids.iter().any(|c| c == id) => Ok(()),
                    _ => Err(Denial::ProfileRejected),
                }
            }
            Self::Firebase => {
                if str_claim("sub").is_none_or(|s| s.len() > 128) {
                    return Err(Denial::ProfileRejected);
                }
                match claims.get("auth_time") {
                    None => Ok(()),
                    Some(Value::Number(n))
                        if n.as_f64().is_some_and(|t| t <= (now + leeway) as f64) =>
                    {
                        Ok(())
                    }
                    Some(Value::Number(_)) => Err(Denial::IssuedInFuture),
                    Some(_) => Err(Denial::ClaimInvalid),
                }
            }
            Self::None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(p: &ProfileChecks, v: Value) -> Result<(), Denial> {
        p.check(v.as_object().expect("object"), 1_000, 30)
    }

    fn supabase(allow_anonymous: bool, aal: Option<&str>) -> ProfileChecks {
        ProfileChecks::Supabase {
            allow_anonymous,
            required_aal: aal.map(str::to_owned),
        }
    }

    #[test]
    fn supabase_accepts_authenticated_users() {
        assert_eq!(
            check(
                &supabase(true, None),
                json!({"role":"authenticated","aal":"aal1"})
            ),
            Ok(())
        );
    }

    #[test]
    fn supabase_rejects_anon_and_service_role_keys() {
        for role in ["anon", "service_role"] {
            assert_eq!(
                check(&supabase(true, None), json!({"role": role})),
                Err(Denial::ProfileRejected)
            );
        }
        assert_eq!(
            check(&supabase(true, None), json!({})),
            Err(Denial::ProfileRejected)
        );
    }

    #[test]
    fn supabase_anonymous_users_follow_the_option() {
        let anon = json!({"role":"authenticated","is_anonymous":true});
        assert_eq!(check(&supabase(true, None), anon.clone()), Ok(()));
        assert_eq!(
            check(&supabase(false, None), anon),
            Err(Denial::ProfileRejected)
        );
        assert_eq!(
            check(
                &supabase(false, None),
                json!({"role":"authenticated","is_anonymous":"no"})
            ),
            Err(Denial::ClaimInvalid)
        );
    }

    #[test]
    fn supabase_required_aal_is_a_minimum() {
        let p = supabase(true, Some("aal2"));
        assert_eq!(
            check(&p, json!({"role":"authenticated","aal":"aal2"})),
            Ok(())
        );
        assert_eq!(
            check(&p, json!({"role":"authenticated","aal":"aal1"})),
            Err(Denial::ProfileRejected)
        );
        assert_eq!(
            check(&p, json!({"role":"authenticated"})),
            Err(Denial::ProfileRejected)
        );
        assert_eq!(
            check(
                &supabase(true, Some("aal1")),
                json!({"role":"authenticated","aal":"aal2"})
            ),
            Ok(())
        );
    }

    #[test]
    fn clerk_requires_an_authorized_party_and_a_session() {
        let p = ProfileChecks::Clerk {
            authorized_parties: vec!["https://app.example.com".into()],
            require_session: true,
        };
        assert_eq!(
            check(&p, json!({"azp":"https://app.example.com","sid":"sess_1"})),
            Ok(())
        );
        assert_eq!(
            check(&p, json!({"azp":"https://evil.example.com","sid":"sess_1"})),
            Err(Denial::ProfileRejected)
        );
        assert_eq!(
            check(&p, json!({"sid":"sess_1"})),
            Err(Denial::ProfileRejected)
        );
        assert_eq!(
            check(&p, json!({"azp":"https://app.example.com"})),
            Err(Denial::ProfileRejected)
        );
    }

    #[test]
    fn cognito_checks_token_use_and_client() {
        let access = ProfileChecks::Cognito {
            token_uses: vec![TokenUse::Access],
            client_ids: vec!["c1".into()],
        };
        assert_eq!(
            check(&access, json!({"token_use":"access","client_id":"c1"})),
            Ok(())
        );
        assert_eq!(
            check(&access, json!({"token_use":"id","aud":"c1"})),
            Err(Denial::ProfileRejected)
        );
        assert_eq!(
            check(&access, json!({"token_use":"access","client_id":"c2"})),
            Err(Denial::ProfileRejected)
        );
        let id = ProfileChecks::Cognito {
            token_uses: vec![TokenUse::Id],
            client_ids: vec!["c1".into()],
        };
        assert_eq!(check(&id, json!({"token_use":"id","aud":"c1"})), Ok(()));
        assert_eq!(
            check(&id, json!({"token_use":"access","client_id":"c1"})),
            Err(Denial::ProfileRejected)
        );
    }

    #[test]
    fn cognito_accepting_both_kinds_checks_each_its_own_way() {
        let both = ProfileChecks::Cognito {
            token_uses: vec![TokenUse::Access, TokenUse::Id],
            client_ids: vec!["c1".into()],
        };
        assert_eq!(
            check(&both, json!({"token_use":"access","client_id":"c1"})),
            Ok(())
        );
        assert_eq!(check(&both, json!({"token_use":"id","aud":"c1"})), Ok(()));
        // Each kind is checked on its own claim: an access token's `aud` (resource-bound
        // access tokens carry one) or an ID token's `client_id` never stands in for it.
        for claims in [
            json!({"token_use":"access","aud":"c1"}),
            json!({"token_use":"id","client_id":"c1"}),
            json!({"token_use":"access","aud":"c1","client_id":"c2"}),
            json!({"token_use":"id","client_id":"c1","aud":"c2"}),
            json!({"token_use":"access","client_id":"c2"}),
            json!({"token_use":"id","aud":"c2"}),
            json!({"token_use":"refresh","client_id":"c1"}),
            json!({"client_id":"c1"}),
        ] {
            assert_eq!(
                check(&both, claims.clone()),
                Err(Denial::ProfileRejected),
                "{claims}"
            );
        }
    }

    #[test]
    fn firebase_bounds_sub_and_auth_time() {
        assert_eq!(
            check(&ProfileChecks::Firebase, json!({"sub":"u","auth_time":900})),
            Ok(())
        );
        assert_eq!(
            check(
                &ProfileChecks::Firebase,
                json!({"sub":"u","auth_time":5000})
            ),
            Err(Denial::IssuedInFuture)
        );
        assert_eq!(
            check(&ProfileChecks::Firebase, json!({"sub":"x".repeat(129)})),
            Err(Denial::ProfileRejected)
        );
    }

    #[test]
    fn profile_names_parse_case_insensitively() {
        assert_eq!("Supabase".parse::<Profile>(), Ok(Profile::Supabase));
        assert!("okta".parse::<Profile>().is_err());
    }
}
