//! jsonwebtoken as an independent oracle for our signature checks: tokens it signs are
//! accepted, and on a set of altered tokens (a flipped bit in the signature or payload,
//! a signature from another key, a truncated or empty signature, another algorithm in the
//! header) its `crypto::verify` and our verifier refuse and accept exactly the same ones.
//! The keys are generated for each run with aws-lc-rs; jsonwebtoken reads them from the
//! same JWKs the verifier fetches (`DecodingKey::from_jwk`), so the two parse keys apart.

mod common;

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaSubjectPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{FixedJwks, HS_SECRET, NOW};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm as Jose, DecodingKey, EncodingKey, Header};
use jwt_authz::{AuthorizerConfig, Dependencies, IssuerConfig, NoSecretStore, SecretRef, Verifier};
use serde_json::{Value, json};

const ISS: &str = "https://oracle.issuer.test/auth/v1";
const HS_ISS: &str = "https://oracle-hs.issuer.test/auth/v1";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One asymmetric key per algorithm family, as PKCS#8 (for jsonwebtoken to sign) and as
/// a public JWK (for both verifiers).
struct Keys {
    signers: Vec<(Jose, &'static str, EncodingKey)>,
    jwks: Vec<Value>,
}

fn keys() -> Keys {
    let rng = SystemRandom::new();
    let ec_pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("P-256 key");
    let ec = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        ec_pkcs8.as_ref(),
    )
    .expect("P-256 key");
    let point = ec.public_key().as_ref();
    let ed_pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("Ed25519 key");
    let ed = Ed25519KeyPair::from_pkcs8(ed_pkcs8.as_ref()).expect("Ed25519 key");
    let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key");
    let rsa_der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa)
        .expect("RSA PKCS#8");
    let public: &RsaSubjectPublicKey = rsa.public_key();
    let (n, e) = (
        public.modulus().big_endian_without_leading_zero().to_vec(),
        public.exponent().big_endian_without_leading_zero().to_vec(),
    );
    // jsonwebtoken signs with a PKCS#1 `RSAPrivateKey`: the octet string inside this
    // PKCS#8 document (a fixed 26-byte prefix for a 2048-bit key).
    let pkcs8 = rsa_der.as_ref();
    assert_eq!(&pkcs8[22..24], [0x04, 0x82], "PKCS#8 layout");
    let rsa_signer = || EncodingKey::from_rsa_der(&pkcs8[26..]);
    Keys {
        signers: vec![
            (
                Jose::ES256,
                "ec",
                EncodingKey::from_ec_der(ec_pkcs8.as_ref()),
            ),
            (
                Jose::EdDSA,
                "ed",
                EncodingKey::from_ed_der(ed_pkcs8.as_ref()),
            ),
            (Jose::RS256, "rsa", rsa_signer()),
            (Jose::PS256, "rsa", rsa_signer()),
            (Jose::RS512, "rsa", rsa_signer()),
        ],
        jwks: vec![
            json!({"kty":"EC","crv":"P-256","x":b64(&point[1..33]),"y":b64(&point[33..65]),"kid":"ec","use":"sig"}),
            json!({"kty":"OKP","crv":"Ed25519","x":b64(ed.public_key().as_ref()),"kid":"ed","use":"sig"}),
            json!({"kty":"RSA","n":b64(n),"e":b64(e),"kid":"rsa","use":"sig"}),
        ],
    }
}

fn verifier(jwks: &[Value]) -> Verifier {
    let config = AuthorizerConfig {
        issuers: vec![
            IssuerConfig {
                issuer: ISS.into(),
                jwks_url: Some(format!("{ISS}/.well-known/jwks.json")),
                ..Default::default()
            },
            IssuerConfig {
                issuer: HS_ISS.into(),
                secret: Some(SecretRef::Value(HS_SECRET.into())),
                algorithms: Some(vec!["HS256".into(), "HS384".into(), "HS512".into()]),
                ..Default::default()
            },
        ],
        verified_token_cache: Some(0),
        ..Default::default()
    };
    let body = serde_json::to_vec(&json!({ "keys": jwks })).expect("json");
    let deps = Dependencies {
        fetcher: Arc::new(FixedJwks(body)),
        secrets: Arc::new(NoSecretStore),
        jwks_policy: Default::default(),
    };
    Verifier::new(&config, &deps).expect("configuration compiles")
}

fn claims(iss: &str) -> Value {
    json!({"iss": iss, "sub": "user-1", "aud": "authenticated", "role": "authenticated",
           "iat": NOW - 10, "exp": NOW + 3600})
}

/// jsonwebtoken's verdict on the token's signature, with the key it reads from `jwk`
/// (or the shared secret) and the algorithm the header names.
fn oracle(token: &str, jwk: Option<&Value>) -> bool {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return false;
    };
    let key = match jwk {
        Some(jwk) => {
            let jwk: Jwk = serde_json::from_value(jwk.clone()).expect("jwk");
            DecodingKey::from_jwk(&jwk).expect("jsonwebtoken reads the jwk")
        }
        None => DecodingKey::from_secret(HS_SECRET.as_bytes()),
    };
    let (input, signature) = token.rsplit_once('.').expect("three segments");
    jsonwebtoken::crypto::verify(signature, input.as_bytes(), &key, header.alg).unwrap_or(false)
}

/// Altered copies of a valid token, each with what was changed.
fn alterations(token: &str, other: &str) -> Vec<(String, String)> {
    let (input, signature) = token.rsplit_once('.').expect("three segments");
    let (header, payload) = input.split_once('.').expect("three segments");
    let mut sig = URL_SAFE_NO_PAD.decode(signature).expect("signature");
    let mut altered = vec![(token.to_owned(), "unaltered".to_owned())];
    for at in [0, sig.len() / 2, sig.len() - 1] {
        sig[at] ^= 0x01;
        altered.push((
            format!("{input}.{}", b64(&sig)),
            format!("signature bit at {at}"),
        ));
        sig[at] ^= 0x01;
    }
    altered.push((
        format!("{input}.{}", b64(&sig[..sig.len() - 1])),
        "truncated signature".into(),
    ));
    altered.push((
        format!("{input}.{}", b64([0u8; 64])),
        "zero signature".into(),
    ));
    let other_sig = other.rsplit_once('.').expect("three segments").1;
    altered.push((
        format!("{input}.{other_sig}"),
        "another token's signature".into(),
    ));
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("payload")).expect("json");
    claims["sub"] = json!("user-2");
    altered.push((
        format!("{header}.{}.{signature}", b64(claims.to_string())),
        "payload changed".into(),
    ));
    altered
}

#[tokio::test]
async fn tokens_jsonwebtoken_signs_verify_and_alterations_are_judged_alike() {
    let keys = keys();
    let ours = verifier(&keys.jwks);
    for (alg, kid, signer) in &keys.signers {
        let mut header = Header::new(*alg);
        header.kid = Some((*kid).to_owned());
        let token = jsonwebtoken::encode(&header, &claims(ISS), signer).expect("signs");
        let mut other_claims = claims(ISS);
        other_claims["sub"] = json!("user-2");
        let other = jsonwebtoken::encode(&header, &other_claims, signer).expect("signs");
        let jwk = keys.jwks.iter().find(|k| k["kid"] == *kid);
        for (altered, what) in alterations(&token, &other) {
            let expected = oracle(&altered, jwk);
            assert_eq!(
                expected,
                what == "unaltered",
                "{alg:?} {what}: jsonwebtoken {expected}"
            );
            let verdict = ours.verify(&altered, NOW).await;
            assert_eq!(
                verdict.is_ok(),
                expected,
                "{alg:?} {what}: ours {verdict:?}, jsonwebtoken {expected}"
            );
        }
    }
}

#[tokio::test]
async fn shared_secret_tokens_are_judged_alike() {
    let ours = verifier(&[]);
    let key = EncodingKey::from_secret(HS_SECRET.as_bytes());
    for alg in [Jose::HS256, Jose::HS384, Jose::HS512] {
        let token = jsonwebtoken::encode(&Header::new(alg), &claims(HS_ISS), &key).expect("signs");
        let mut other_claims = claims(HS_ISS);
        other_claims["sub"] = json!("user-2");
        let other = jsonwebtoken::encode(&Header::new(alg), &other_claims, &key).expect("signs");
        for (altered, what) in alterations(&token, &other) {
            let expected = oracle(&altered, None);
            assert_eq!(
                expected,
                what == "unaltered",
                "{alg:?} {what}: jsonwebtoken {expected}"
            );
            let verdict = ours.verify(&altered, NOW).await;
            assert_eq!(
                verdict.is_ok(),
                expected,
                "{alg:?} {what}: ours {verdict:?}, jsonwebtoken {expected}"
            );
        }
    }
}

#[tokio::test]
async fn an_algorithm_swapped_in_the_header_is_refused_by_both() {
    let keys = keys();
    let ours = verifier(&keys.jwks);
    let (_, _, signer) = &keys.signers[2]; // RS256
    let mut header = Header::new(Jose::RS256);
    header.kid = Some("rsa".into());
    let token = jsonwebtoken::encode(&header, &claims(ISS), signer).expect("signs");
    let jwk = keys.jwks.iter().find(|k| k["kid"] == "rsa");
    let (input, signature) = token.rsplit_once('.').expect("three segments");
    let payload = input.split_once('.').expect("segments").1;
    for alg in ["PS256", "RS384", "HS256"] {
        let swapped_header = b64(json!({"alg": alg, "typ": "JWT", "kid": "rsa"}).to_string());
        let swapped = format!("{swapped_header}.{payload}.{signature}");
        assert!(!oracle(&swapped, jwk), "jsonwebtoken accepted {alg}");
        assert!(
            ours.verify(&swapped, NOW).await.is_err(),
            "we accepted {alg}"
        );
    }
}
