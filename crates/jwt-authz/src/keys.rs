//! Verification keys: JWK parsing with the key-binding rules, and shared secrets.
//!
//! A JWK becomes a [`VerifyingKey`] only when it is a signature key (`use` absent or
//! `sig`, `key_ops` absent or containing `verify`) of a type we support: RSA (`n`, `e`),
//! EC P-256/P-384 (`x`, `y`), OKP Ed25519 (`x`). Symmetric (`oct`) keys from a remote set
//! are dropped: a published HMAC key would let anyone mint tokens. When the JWK names an
//! `alg`, that is the only algorithm the key verifies; otherwise the algorithms of its
//! type (and curve) do. Keys that fail these rules are skipped, not fatal: a key set may
//! carry keys for other purposes.
//!
//! Keys are parsed **once**, when the key set is loaded: each bound algorithm gets an
//! aws-lc-rs verifier (a parsed public key, or a prepared HMAC key), so verifying a token
//! is one signature check with no key decoding or allocation for the key (BENCHMARKS.md:
//! `jsonwebtoken::crypto::verify`, which rebuilds the key on every call, is measured next
//! to it). The parameters are the usual JOSE ones (RSA moduli of 2048–8192 bits,
//! fixed-size ECDSA signatures); `tests/jsonwebtoken_oracle.rs` checks that jsonwebtoken,
//! as an independent implementation, accepts and refuses the same signatures.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::Algorithm;
use crate::jws::UnverifiedToken;

/// A prepared signature check for one algorithm.
#[derive(Clone)]
enum Check {
    Public(ParsedPublicKey),
    // Boxed: an HMAC key holds its precomputed inner/outer states (over 1 KB).
    Hmac(Box<hmac::Key>),
}

/// A key the verifier may use, with the algorithms it is bound to.
#[derive(Clone)]
pub struct VerifyingKey {
    /// The JWK `kid`, if any.
    pub kid: Option<String>,
    /// The algorithms this key verifies (before intersecting with the issuer allow-list).
    pub algorithms: Vec<Algorithm>,
    checks: Vec<(Algorithm, Check)>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material (an HMAC key is a secret).
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish()
    }
}

impl VerifyingKey {
    /// An HMAC key from a shared secret, bound to `algorithms` (non-HS* entries are ignored).
    pub(crate) fn shared_secret(secret: &[u8], algorithms: Vec<Algorithm>) -> Self {
        let checks = algorithms
            .iter()
            .filter_map(|alg| {
                let digest = match alg {
                    Algorithm::HS256 => hmac::HMAC_SHA256,
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    Algorithm::HS512 => hmac::HMAC_SHA512,
                    _ => return None,
                };
                Some((*alg, Check::Hmac(Box::new(hmac::Key::new(digest, secret)))))
            })
            .collect();
        Self {
            kid: None,
            algorithms,
            checks,
        }
    }

    /// Whether the token's signature verifies with this key, under the token's `alg`
    /// (`false` when the key is not bound to that algorithm).
    pub fn verifies(&self, token: &UnverifiedToken<'_>) -> bool {
        token.signature().is_ok_and(|signature| {
            self.verify(token.alg, token.signing_input.as_bytes(), &signature)
        })
    }

    /// Verifies `signature` (raw bytes, as decoded from the token) over `message` with the
    /// check bound to `alg`. `false` when the key is not bound to `alg`.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match self.checks.iter().find(|(a, _)| *a == alg) {
            Some((_, Check::Public(key))) => key.verify_sig(message, signature).is_ok(),
            Some((_, Check::Hmac(key))) => hmac::verify(key.as_ref(), message, signature).is_ok(),
            None => false,
        }
    }

    /// Whether this key may verify a token signed with `alg`.
    pub(crate) fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }
}

/// A JSON Web Key as published in a key set (only the members we read).
#[derive(Debug, Deserialize)]
pub(crate) struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// Why a JWK was skipped. Carries no key material; [`as_str`](Self::as_str) is the text
/// logged and shown by diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// `use` is present and is not `sig` (e.g. an encryption key).
    UseNotSig,
    /// `key_ops` is present and lacks `verify` (e.g. `["sign"]`, as some libraries write
    /// when they export a private key).
    KeyOpsWithoutVerify,
    /// A `kty` we do not verify with (anything but RSA, EC, OKP).
    UnsupportedKeyType,
    /// A symmetric (`oct`) key: a published HMAC key would let anyone mint tokens.
    Symmetric,
    /// An EC or OKP curve we do not support (only P-256, P-384 and Ed25519).
    UnsupportedCurve,
    /// `alg` unknown or inconsistent with the key type.
    AlgorithmMismatch,
    /// Required members missing or not decodable, or the key is rejected by the crypto
    /// library (e.g. a point off the curve, an RSA modulus under 2048 bits).
    Invalid,
}

impl SkipReason {
    /// What is wrong, in words an operator can act on.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UseNotSig => "\"use\" is not \"sig\"",
            Self::KeyOpsWithoutVerify => "\"key_ops\" does not contain \"verify\"",
            Self::UnsupportedKeyType => "unsupported \"kty\" (only RSA, EC, OKP)",
            Self::Symmetric => "symmetric (oct) key in a public key set; never used",
            Self::UnsupportedCurve => "unsupported curve (only P-256, P-384, Ed25519)",
            Self::AlgorithmMismatch => "\"alg\" unknown or does not match the key type/curve",
            Self::Invalid => {
                "key members missing or invalid (bad encoding, off-curve point, RSA under 2048 bits)"
            }
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const RSA_ALGS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

impl Jwk {
    /// Converts to a [`VerifyingKey`], or says why the key is skipped.
    pub(crate) fn to_verifying_key(&self) -> Result<VerifyingKey, SkipReason> {
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(SkipReason::UseNotSig);
        }
        if self
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(SkipReason::KeyOpsWithoutVerify);
        }
        let (type_algs, material): (Vec<Algorithm>, Material) =
            match (self.kty.as_str(), self.crv.as_deref()) {
                ("RSA", _) => {
                    let (n, e) = self
                        .n
                        .as_deref()
                        .zip(self.e.as_deref())
                        .ok_or(SkipReason::Invalid)?;
                    let n = URL_SAFE_NO_PAD.decode(n).map_err(|_| SkipReason::Invalid)?;
                    let e = URL_SAFE_NO_PAD.decode(e).map_err(|_| SkipReason::Invalid)?;
                    (RSA_ALGS.to_vec(), Material::Rsa { n, e })
                }
                ("EC", Some(crv @ ("P-256" | "P-384"))) => {
                    let (x, y) = self
                        .x
                        .as_deref()
                        .zip(self.y.as_deref())
                        .ok_or(SkipReason::Invalid)?;
                    let size = if crv == "P-256" { 32 } else { 48 };
                    let mut point = vec![0x04];
                    point.extend(decode_exact(x, size)?);
                    point.extend(decode_exact(y, size)?);
                    (
                        vec![if crv == "P-256" {
                            Algorithm::ES256
                        } else {
                            Algorithm::ES384
                        }],
                        Material::Raw(point),
                    )
                }
                ("OKP", Some("Ed25519")) => {
                    let x = self.x.as_deref().ok_or(SkipReason::Invalid)?;
                    (vec![Algorithm::EdDSA], Material::Raw(decode_exact(x, 32)?))
                }
                ("oct", _) => return Err(SkipReason::Symmetric),
                ("EC" | "OKP", _) => return Err(SkipReason::UnsupportedCurve),
                _ => return Err(SkipReason::UnsupportedKeyType),
            };
        let algorithms = match &self.alg {
            None => type_algs,
            Some(name) => {
                let alg = Algorithm::from_name(name).ok_or(SkipReason::AlgorithmMismatch)?;
                if !type_algs.contains(&alg) {
                    return Err(SkipReason::AlgorithmMismatch);
                }
                vec![alg]
            }
        };
        let checks = algorithms
            .iter()
            .map(|alg| material.check(*alg).map(|c| (*alg, c)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VerifyingKey {
            kid: self.kid.clone(),
            algorithms,
            checks,
        })
    }

    /// The key id, for logs.
    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// Decoded public key material, before it is bound to algorithms.
enum Material {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed EC point (`0x04 ‖ x ‖ y`) or an Ed25519 public key.
    Raw(Vec<u8>),
}

impl Material {
    /// Parses the key for `alg` (rejected keys, e.g. off-curve points or RSA moduli under
    /// 2048 bits, are skipped).
    fn check(&self, alg: Algorithm) -> Result<Check, SkipReason> {
        let invalid = |_| SkipReason::Invalid;
        let parsed = match (self, alg) {
            (Self::Rsa { n, e }, _) => signature::RsaPublicKeyComponents {
                n: n.as_slice(),
                e: e.as_slice(),
            }
            .to_parsed_public_key(rsa_parameters(alg).ok_or(SkipReason::AlgorithmMismatch)?)
            .map_err(invalid)?,
            (Self::Raw(point), Algorithm::ES256) => {
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).map_err(invalid)?
            }
            (Self::Raw(point), Algorithm::ES384) => {
                ParsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point).map_err(invalid)?
            }
            (Self::Raw(x), Algorithm::EdDSA) => {
                ParsedPublicKey::new(&signature::ED25519, x).map_err(invalid)?
            }
            _ => return Err(SkipReason::AlgorithmMismatch),
        };
        Ok(Check::Public(parsed))
    }
}

fn rsa_parameters(alg: Algorithm) -> Option<&'static RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// Decodes a base64url coordinate that must be exactly `len` bytes.
fn decode_exact(b64: &str, len: usize) -> Result<Vec<u8>, SkipReason> {
    URL_SAFE_NO_PAD
        .decode(b64)
        .ok()
        .filter(|v| v.len() == len)
        .ok_or(SkipReason::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwk(v: serde_json::Value) -> Jwk {
        serde_json::from_value(v).expect("jwk shape")
    }

    const P256_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const P256_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    #[test]
    fn ec_key_binds_to_its_curve_algorithm() {
        let key = jwk(json!({"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"kid":"k"}))
            .to_verifying_key()
            .expect("ok");
        assert_eq!(key.algorithms, vec![Algorithm::ES256]);
        assert_eq!(key.kid.as_deref(), Some("k"));
    }

    #[test]
    fn jwk_alg_must_agree_with_key_type() {
        let mismatched = jwk(json!({"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"alg":"ES384"}));
        assert_eq!(
            mismatched.to_verifying_key().err(),
            Some(SkipReason::AlgorithmMismatch)
        );
        let hs_on_rsa = jwk(json!({"kty":"RSA","n":"AQAB","e":"AQAB","alg":"HS256"}));
        assert_eq!(
            hs_on_rsa.to_verifying_key().err(),
            Some(SkipReason::AlgorithmMismatch)
        );
    }

    #[test]
    fn jwk_alg_narrows_rsa_to_one_algorithm() {
        let key = jwk(json!({"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RS256"}))
            .to_verifying_key()
            .expect("ok");
        assert_eq!(key.algorithms, vec![Algorithm::RS256]);
    }

    #[test]
    fn symmetric_keys_from_a_key_set_are_dropped() {
        assert_eq!(
            jwk(json!({"kty":"oct","k":"c2VjcmV0"}))
                .to_verifying_key()
                .err(),
            Some(SkipReason::Symmetric)
        );
    }

    #[test]
    fn encryption_keys_are_dropped() {
        let enc = jwk(json!({"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"use":"enc"}));
        assert_eq!(enc.to_verifying_key().err(), Some(SkipReason::UseNotSig));
        let ops =
            jwk(json!({"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"key_ops":["encrypt"]}));
        assert_eq!(
            ops.to_verifying_key().err(),
            Some(SkipReason::KeyOpsWithoutVerify)
        );
        let sign_only =
            jwk(json!({"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"key_ops":["sign"]}));
        assert_eq!(
            sign_only.to_verifying_key().err(),
            Some(SkipReason::KeyOpsWithoutVerify)
        );
        let both = jwk(
            json!({"kty":"EC","crv":"P-256","x":P256_X,"y":P256_Y,"key_ops":["sign","verify"]}),
        );
        assert!(both.to_verifying_key().is_ok());
    }

    #[test]
    fn unknown_key_types_and_curves_are_named_apart() {
        assert_eq!(
            jwk(json!({"kty":"OKP","crv":"X25519","x":"AAAA"}))
                .to_verifying_key()
                .err(),
            Some(SkipReason::UnsupportedCurve)
        );
        assert_eq!(
            jwk(json!({"kty":"PQC"})).to_verifying_key().err(),
            Some(SkipReason::UnsupportedKeyType)
        );
    }

    #[test]
    fn keys_missing_members_are_invalid() {
        assert_eq!(
            jwk(json!({"kty":"RSA","n":"AQAB"}))
                .to_verifying_key()
                .err(),
            Some(SkipReason::Invalid)
        );
        assert_eq!(
            jwk(json!({"kty":"EC","crv":"P-256","x":P256_X}))
                .to_verifying_key()
                .err(),
            Some(SkipReason::Invalid)
        );
        assert_eq!(
            jwk(json!({"kty":"OKP","crv":"Ed25519","x":"AAAA"}))
                .to_verifying_key()
                .err(),
            Some(SkipReason::Invalid)
        );
        assert_eq!(
            jwk(json!({"kty":"EC","crv":"P-521","x":"A","y":"A"}))
                .to_verifying_key()
                .err(),
            Some(SkipReason::UnsupportedCurve)
        );
    }
}
