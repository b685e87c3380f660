//! One issuer, two kinds of token at once: a Supabase project moving from its legacy JWT
//! secret to signing keys (HS256 and ES256 tokens under the same `iss`), and a Cognito
//! pool accepting both its access and its ID tokens. Each token is checked only the way
//! its kind must be: HS* only against the secret, asymmetric only against the key set;
//! an access token's `client_id`, an ID token's `aud`.

mod common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{FixedJwks, HS_SECRET, KID, NOW, claims, es256_token, hs256_token, jwk};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use jwt_authz::{
    AuthorizerConfig, Denial, Dependencies, IssuerConfig, JwksPolicy, NoSecretStore, SecretRef,
    Verifier,
};
use serde_json::{Value, json};

const ISS: &str = "https://migrating.supabase.test/auth/v1";
const JWKS_URL: &str = "https://migrating.supabase.test/auth/v1/.well-known/jwks.json";
/// A second HMAC key, published in the key set as an `oct` JWK: a key set must never
/// lend an HMAC key to an HS256 token.
const OCT_SECRET: &str = "an-hmac-key-published-in-the-key-set-0123456789";

fn deps(keys: Vec<Value>) -> Dependencies {
    Dependencies {
        fetcher: Arc::new(FixedJwks(
            serde_json::to_vec(&json!({ "keys": keys })).expect("json"),
        )),
        secrets: Arc::new(NoSecretStore),
        jwks_policy: JwksPolicy::default(),
    }
}

fn migrating(issuer: IssuerConfig) -> Result<Verifier, jwt_authz::Error> {
    let config = AuthorizerConfig {
        issuers: vec![issuer],
        ..Default::default()
    };
    let oct =
        json!({"kty":"oct","k":URL_SAFE_NO_PAD.encode(OCT_SECRET),"kid":"hmac","alg":"HS256"});
    Verifier::new(&config, &deps(vec![jwk(KID), oct]))
}

fn secret_and_jwks() -> IssuerConfig {
    IssuerConfig {
        issuer: ISS.into(),
        secret: Some(SecretRef::Value(HS_SECRET.into())),
        jwks_url: Some(JWKS_URL.into()),
        ..Default::default()
    }
}

fn hs256_with(secret: &[u8], kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("signs")
}

#[tokio::test]
async fn an_issuer_with_a_secret_and_a_key_set_accepts_both_kinds_of_token() {
    let verifier = migrating(secret_and_jwks()).expect("compiles");
    verifier
        .verify(&hs256_token(&claims(ISS)), NOW)
        .await
        .expect("legacy HS256 token");
    verifier
        .verify(&es256_token(KID, &claims(ISS)), NOW)
        .await
        .expect("signing-key token");
}

#[tokio::test]
async fn hs256_tokens_are_never_checked_against_the_key_set() {
    let verifier = migrating(secret_and_jwks()).expect("compiles");
    // HMAC keyed with the key set's public EC coordinates (the classic confusion), and
    // with the key set's own `oct` key named by its kid: both are refused.
    let public = serde_json::to_vec(&jwk(KID)).expect("json");
    for token in [
        hs256_with(&public, Some(KID), &claims(ISS)),
        hs256_with(OCT_SECRET.as_bytes(), Some("hmac"), &claims(ISS)),
        hs256_with(OCT_SECRET.as_bytes(), None, &claims(ISS)),
    ] {
        assert_eq!(
            verifier.verify(&token, NOW).await.err(),
            Some(Denial::BadSignature)
        );
    }
    // A kid in the header does not move an HS256 token off the secret.
    verifier
        .verify(
            &hs256_with(HS_SECRET.as_bytes(), Some(KID), &claims(ISS)),
            NOW,
        )
        .await
        .expect("the secret verifies it whatever the kid");
}

#[tokio::test]
async fn asymmetric_tokens_are_never_checked_against_the_secret() {
    let verifier = migrating(secret_and_jwks()).expect("compiles");
    // An ES256 token whose kid is not in the key set has nowhere else to go.
    assert_eq!(
        verifier
            .verify(&es256_token("not-in-the-set", &claims(ISS)), NOW)
            .await
            .err(),
        Some(Denial::UnknownKid)
    );
}

#[tokio::test]
async fn the_usual_claim_checks_apply_to_both_kinds() {
    let verifier = migrating(secret_and_jwks()).expect("compiles");
    let mut anon = claims(ISS);
    anon["role"] = json!("anon");
    let mut expired = claims(ISS);
    expired["exp"] = json!(NOW - 3600);
    for (token, denial) in [
        (hs256_token(&anon), Denial::ProfileRejected),
        (es256_token(KID, &anon), Denial::ProfileRejected),
        (hs256_token(&expired), Denial::Expired),
        (es256_token(KID, &expired), Denial::Expired),
    ] {
        assert_eq!(verifier.verify(&token, NOW).await.err(), Some(denial));
    }
}

#[tokio::test]
async fn a_secret_without_a_key_set_still_accepts_only_hs_tokens() {
    let issuer = IssuerConfig {
        jwks_url: None,
        ..secret_and_jwks()
    };
    let verifier = migrating(issuer).expect("compiles");
    verifier
        .verify(&hs256_token(&claims(ISS)), NOW)
        .await
        .expect("HS256");
    assert_eq!(
        verifier
            .verify(&es256_token(KID, &claims(ISS)), NOW)
            .await
            .err(),
        Some(Denial::AlgorithmNotAllowed)
    );
}

#[tokio::test]
async fn algorithm_lists_that_leave_one_source_unused_are_refused() {
    for algorithms in [&["HS256"][..], &["ES256", "RS256"][..]] {
        let issuer = IssuerConfig {
            algorithms: Some(algorithms.iter().map(|a| (*a).to_owned()).collect()),
            ..secret_and_jwks()
        };
        let err = migrating(issuer).expect_err("refused").to_string();
        assert!(err.contains("issuers[0].algorithms"), "{err}");
    }
    let issuer = IssuerConfig {
        algorithms: Some(vec!["HS256".into(), "ES256".into()]),
        ..secret_and_jwks()
    };
    let verifier = migrating(issuer).expect("an explicit list naming both families");
    verifier
        .verify(&hs256_token(&claims(ISS)), NOW)
        .await
        .expect("HS256");
    verifier
        .verify(&es256_token(KID, &claims(ISS)), NOW)
        .await
        .expect("ES256");
}

const POOL: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example1";

fn cognito(token_use: &str) -> Verifier {
    let config = AuthorizerConfig {
        issuers: vec![IssuerConfig {
            issuer: POOL.into(),
            profile: Some("cognito".into()),
            jwks_url: Some(format!("{POOL}/.well-known/jwks.json")),
            token_use: Some(token_use.into()),
            client_ids: vec!["client-a".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    Verifier::new(&config, &deps(vec![jwk(KID)])).expect("compiles")
}

fn access_token(client: &str) -> String {
    es256_token(
        KID,
        &json!({"iss": POOL, "sub": "u1", "token_use": "access", "client_id": client,
                "scope": "aws.cognito.signin.user.admin", "iat": NOW - 5, "exp": NOW + 3600}),
    )
}

fn id_token(client: &str) -> String {
    es256_token(
        KID,
        &json!({"iss": POOL, "sub": "u1", "token_use": "id", "aud": client,
                "cognito:username": "u1", "iat": NOW - 5, "exp": NOW + 3600}),
    )
}

#[tokio::test]
async fn one_cognito_pool_accepts_access_and_id_tokens_each_checked_its_own_way() {
    let both = cognito("access,id");
    both.verify(&access_token("client-a"), NOW)
        .await
        .expect("access token");
    both.verify(&id_token("client-a"), NOW)
        .await
        .expect("id token");
    for token in [access_token("client-b"), id_token("client-b")] {
        assert_eq!(
            both.verify(&token, NOW).await.err(),
            Some(Denial::ProfileRejected)
        );
    }
    // An access token naming the client only in `aud` is not an ID token.
    let confused = es256_token(
        KID,
        &json!({"iss": POOL, "sub": "u1", "token_use": "access", "aud": "client-a",
                "iat": NOW - 5, "exp": NOW + 3600}),
    );
    assert_eq!(
        both.verify(&confused, NOW).await.err(),
        Some(Denial::ProfileRejected)
    );
}

#[tokio::test]
async fn a_cognito_pool_for_one_kind_refuses_the_other() {
    let access = cognito("access");
    access
        .verify(&access_token("client-a"), NOW)
        .await
        .expect("access");
    assert_eq!(
        access.verify(&id_token("client-a"), NOW).await.err(),
        Some(Denial::ProfileRejected)
    );
    let id = cognito("id");
    id.verify(&id_token("client-a"), NOW).await.expect("id");
    assert_eq!(
        id.verify(&access_token("client-a"), NOW).await.err(),
        Some(Denial::ProfileRejected)
    );
}

#[test]
fn unknown_token_kinds_are_configuration_errors() {
    let config = AuthorizerConfig {
        issuers: vec![IssuerConfig {
            issuer: POOL.into(),
            profile: Some("cognito".into()),
            token_use: Some("access,refresh".into()),
            client_ids: vec!["client-a".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let err = Verifier::new(&config, &deps(vec![]))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("tokenUse") && err.contains("refresh"), "{err}");
}
