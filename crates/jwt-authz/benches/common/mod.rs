//! Fixtures shared by the `jwt-authz` benchmarks: real keys of every benchmarked
//! algorithm, realistic Supabase-shaped tokens signed with them, an in-memory key-set
//! [`Fetcher`] (so keys are loaded once through the real cache, with no network), and the
//! raw-crypto floors a token's verification is compared with.
//!
//! Keys are generated fresh for each run and tokens minted by `testkit::idp` (aws-lc-rs,
//! the backend of the verifier, so the floor and the verifier run the same code for the
//! signature).

#![allow(dead_code)] // each bench binary uses a different part of this module

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey};
use jwt_authz::{
    AuthorizerConfig, Dependencies, Error, Fetcher, IssuerConfig, NoSecretStore, SecretRef,
};
use serde_json::{Value, json};
use testkit::idp::{TestKey, b64};
use url::Url;

/// The issuer of every benchmark token (Supabase shape).
pub const ISS: &str = "https://bench.supabase.co/auth/v1";
/// Never fetched over the network: [`MemoryFetcher`] answers it.
pub const JWKS_URL: &str = "https://bench.supabase.co/auth/v1/.well-known/jwks.json";
/// The shared secret of the HS256 issuer (Supabase legacy JWT secret; ≥ 32 bytes).
pub const HS_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123456789";
/// The subject of every benchmark token.
pub const SUB: &str = "2d4c9a1e-0000-4000-8000-00000000a11c";
/// A fixed "now" (2027-01-15T08:00:00Z) so every run verifies the same tokens.
pub const NOW: u64 = 1_800_000_000;

/// An algorithm under benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// ECDSA P-256 / SHA-256 (Supabase's current default).
    Es256,
    /// RSA-2048 PKCS#1 v1.5 / SHA-256 (Auth0, Clerk, Cognito, Firebase).
    Rs256,
    /// Ed25519.
    EdDsa,
    /// HMAC-SHA256 with a shared secret (Supabase legacy).
    Hs256,
}

impl Alg {
    /// Every benchmarked algorithm.
    pub const ALL: [Alg; 4] = [Alg::Es256, Alg::Rs256, Alg::EdDsa, Alg::Hs256];

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Rs256 => "RS256",
            Alg::EdDsa => "EdDSA",
            Alg::Hs256 => "HS256",
        }
    }

    fn jsonwebtoken(self) -> Algorithm {
        match self {
            Alg::Es256 => Algorithm::ES256,
            Alg::Rs256 => Algorithm::RS256,
            Alg::EdDsa => Algorithm::EdDSA,
            Alg::Hs256 => Algorithm::HS256,
        }
    }
}

/// The signing keys of one run (testkit's, the one token minter of the workspace).
pub struct Keys {
    es256: TestKey,
    rs256: TestKey,
    eddsa: TestKey,
    hs256: TestKey,
}

impl Keys {
    /// Fresh keys (RSA-2048).
    pub fn generate() -> Self {
        Self {
            es256: TestKey::es256(),
            rs256: TestKey::rs256(),
            eddsa: TestKey::eddsa(),
            hs256: TestKey::hs256(HS_SECRET),
        }
    }

    fn key(&self, alg: Alg) -> &TestKey {
        match alg {
            Alg::Es256 => &self.es256,
            Alg::Rs256 => &self.rs256,
            Alg::EdDsa => &self.eddsa,
            Alg::Hs256 => &self.hs256,
        }
    }

    fn kid(alg: Alg) -> Option<&'static str> {
        match alg {
            Alg::Es256 => Some("es"),
            Alg::Rs256 => Some("rs"),
            Alg::EdDsa => Some("ed"),
            Alg::Hs256 => None,
        }
    }

    fn ec_point(&self) -> &[u8] {
        match &self.es256 {
            TestKey::Es256(k) => k.public_key().as_ref(),
            _ => unreachable!("es256 holds a P-256 key"),
        }
    }

    fn ed_public(&self) -> &[u8] {
        match &self.eddsa {
            TestKey::EdDsa(k) => k.public_key().as_ref(),
            _ => unreachable!("eddsa holds an Ed25519 key"),
        }
    }

    fn rsa_components(&self) -> (Vec<u8>, Vec<u8>) {
        match &self.rs256 {
            TestKey::Rs256(k) => {
                let public = k.public_key();
                (
                    public.modulus().big_endian_without_leading_zero().to_vec(),
                    public.exponent().big_endian_without_leading_zero().to_vec(),
                )
            }
            _ => unreachable!("rs256 holds an RSA key"),
        }
    }

    /// The public key set, as an identity provider publishes it: one key per asymmetric
    /// algorithm, each with `kid`, `alg` and `use`.
    pub fn jwks(&self) -> Value {
        let keys = [Alg::Es256, Alg::Rs256, Alg::EdDsa]
            .map(|alg| self.key(alg).jwk(Self::kid(alg).unwrap_or_default()));
        json!({ "keys": keys })
    }

    /// A Supabase-shaped access token (≈ 0.8 KB) signed with `alg`, valid at [`NOW`].
    pub fn token(&self, alg: Alg) -> String {
        self.key(alg).token(Self::kid(alg), &claims())
    }

    /// jsonwebtoken's key for `alg`, built from the same JWK members the verifier reads (the
    /// base64url components, or the shared secret).
    pub fn decoding_key(&self, alg: Alg) -> DecodingKey {
        let point = self.ec_point();
        let (n, e) = self.rsa_components();
        match alg {
            Alg::Es256 => {
                DecodingKey::from_ec_components(&b64(&point[1..33]), &b64(&point[33..65]))
                    .expect("ec key")
            }
            Alg::Rs256 => DecodingKey::from_rsa_components(&b64(n), &b64(e)).expect("rsa key"),
            Alg::EdDsa => DecodingKey::from_ed_components(&b64(self.ed_public())).expect("ed key"),
            Alg::Hs256 => DecodingKey::from_secret(HS_SECRET.as_bytes()),
        }
    }

    /// The strictest floor: aws-lc-rs with the key parsed once, ahead of time.
    pub fn floor(&self, alg: Alg) -> Floor {
        match alg {
            Alg::Es256 => Floor::Parsed(
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, self.ec_point())
                    .expect("parsed ec key"),
            ),
            Alg::Rs256 => {
                let (n, e) = self.rsa_components();
                Floor::Parsed(
                    RsaPublicKeyComponents { n: &n, e: &e }
                        .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
                        .expect("parsed rsa key"),
                )
            }
            Alg::EdDsa => Floor::Parsed(
                ParsedPublicKey::new(&signature::ED25519, self.ed_public()).expect("parsed ed key"),
            ),
            Alg::Hs256 => Floor::Hmac(Box::new(aws_lc_rs::hmac::Key::new(
                aws_lc_rs::hmac::HMAC_SHA256,
                HS_SECRET.as_bytes(),
            ))),
        }
    }
}

/// A key ready for the raw signature check.
pub enum Floor {
    /// An asymmetric public key, parsed once.
    Parsed(ParsedPublicKey),
    /// An HMAC key, built once.
    Hmac(Box<aws_lc_rs::hmac::Key>),
}

impl Floor {
    /// Decodes the token's signature segment and checks it over the signing input: the
    /// least any verifier must do per token.
    pub fn verify(&self, token: &str) -> bool {
        let (input, sig) = token.rsplit_once('.').expect("three segments");
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        match self {
            Floor::Parsed(key) => key.verify_sig(input.as_bytes(), &sig).is_ok(),
            Floor::Hmac(key) => aws_lc_rs::hmac::verify(key, input.as_bytes(), &sig).is_ok(),
        }
    }
}

/// `jsonwebtoken::crypto::verify` on the token, with [`Keys::decoding_key`]: the same
/// signature check done by jsonwebtoken, for comparison.
pub fn jsonwebtoken_verify(token: &str, key: &DecodingKey, alg: Alg) -> bool {
    let (input, sig) = token.rsplit_once('.').expect("three segments");
    jsonwebtoken::crypto::verify(sig, input.as_bytes(), key, alg.jsonwebtoken()).unwrap_or(false)
}

/// The claims of a Supabase access token for a signed-in user.
pub fn claims() -> Value {
    json!({
        "iss": ISS,
        "sub": SUB,
        "aud": "authenticated",
        "exp": NOW + 3600,
        "iat": NOW - 60,
        "email": "alice@example.com",
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"], "org_id": "acme"},
        "user_metadata": {"email": "alice@example.com", "email_verified": true, "full_name": "Alice Example"},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": NOW - 60}],
        "session_id": "5b8f6e3c-0000-4000-8000-0000000005e5",
        "is_anonymous": false
    })
}

/// Serves one key-set document from memory and counts the fetches, so a benchmark can
/// prove the warm path made none.
#[derive(Debug)]
pub struct MemoryFetcher {
    body: Vec<u8>,
    fetches: AtomicU64,
}

impl MemoryFetcher {
    /// A fetcher answering every URL with `jwks`.
    pub fn new(jwks: &Value) -> Self {
        Self {
            body: jwks.to_string().into_bytes(),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many times a document was fetched.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

impl Fetcher for MemoryFetcher {
    fn get<'a>(&'a self, _url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let body = self.body.clone();
        Box::pin(async move { Ok(body) })
    }
}

/// Dependencies with `fetcher` and no secret store (inline secrets only).
pub fn dependencies(fetcher: Arc<MemoryFetcher>) -> Dependencies {
    Dependencies {
        fetcher,
        secrets: Arc::new(NoSecretStore),
        jwks_policy: Default::default(),
    }
}

/// A configuration with the Supabase key-set issuer, or (for HS256) the same issuer
/// verifying with the legacy shared secret instead.
pub fn config(alg: Alg) -> AuthorizerConfig {
    let issuer = match alg {
        Alg::Hs256 => IssuerConfig {
            issuer: ISS.into(),
            profile: Some("supabase".into()),
            secret: Some(SecretRef::Value(HS_SECRET.into())),
            ..Default::default()
        },
        _ => IssuerConfig {
            issuer: ISS.into(),
            profile: Some("supabase".into()),
            jwks_url: Some(JWKS_URL.into()),
            ..Default::default()
        },
    };
    AuthorizerConfig {
        issuers: vec![issuer],
        // The benches time the whole path on one token again and again: with the
        // recent-token cache on, every repeat would skip the work being measured.
        verified_token_cache: Some(0),
        ..Default::default()
    }
}
