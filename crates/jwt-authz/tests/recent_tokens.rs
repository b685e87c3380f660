//! The recent-token cache (`jwt_authz::recent`) through the public verifier, against a real
//! loopback JWKS server: a token seen again is answered without re-verifying, yet every
//! check that can change still applies — expiry, a withdrawn or rotated key, an outage of
//! the key set — and nothing that failed a check is ever stored.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{ES_ISS, HS_ISS, JwksServer, KID, NOW, claims, es256_token, hs256_token, jwk};
use jwt_authz::{
    AuthorizerConfig, Denial, Dependencies, FetchLimits, HttpFetcher, IssuerConfig, JwksPolicy,
    NoSecretStore, SecretRef, Verifier,
};

/// The configuration: an ES256 issuer reading `server` and an HS256 issuer using the test
/// secret; `capacity` recent tokens.
fn config(server: &JwksServer, capacity: Option<usize>) -> AuthorizerConfig {
    AuthorizerConfig {
        issuers: vec![
            IssuerConfig {
                issuer: ES_ISS.into(),
                jwks_url: Some(server.url().to_string()),
                ..Default::default()
            },
            IssuerConfig {
                issuer: HS_ISS.into(),
                secret: Some(SecretRef::Value(common::HS_SECRET.into())),
                ..Default::default()
            },
        ],
        verified_token_cache: capacity,
        ..Default::default()
    }
}

/// A real HTTP fetcher, key sets living `max_age_ms`, no stale window.
fn deps(max_age_ms: u64) -> Dependencies {
    Dependencies {
        fetcher: Arc::new(HttpFetcher::new(FetchLimits::default()).expect("client")),
        secrets: Arc::new(NoSecretStore),
        jwks_policy: JwksPolicy {
            max_age: Duration::from_millis(max_age_ms),
            stale_if_error: Duration::ZERO,
            unknown_kid_cooldown: Duration::from_millis(1),
            failure_backoff: Duration::from_millis(1),
        },
    }
}

fn verifier(server: &JwksServer, max_age_ms: u64, capacity: Option<usize>) -> Verifier {
    Verifier::new(&config(server, capacity), &deps(max_age_ms)).expect("compiles")
}

#[tokio::test]
async fn a_repeated_token_is_answered_from_the_cache_with_the_same_claims() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let v = verifier(&server, 60_000, None);
    let token = es256_token(KID, &claims(ES_ISS));
    let first = v.verify(&token, NOW).await.expect("valid");
    assert_eq!(v.recent_tokens(), 1);
    let again = v.verify(&token, NOW + 5).await.expect("still valid");
    assert_eq!(first.claims, again.claims);
    assert_eq!(again.expires_at, NOW + 3600);
    assert!(
        Arc::ptr_eq(&first.claims, &again.claims),
        "the second answer reuses the verified claims rather than parsing them again"
    );
    // A Bearer-wrapped copy is the same token once extracted.
    let wrapped = v
        .verify(&format!("Bearer {token}"), NOW)
        .await
        .expect("valid");
    assert!(Arc::ptr_eq(&first.claims, &wrapped.claims));
    assert_eq!(v.recent_tokens(), 1);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_cached_token_still_expires() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let v = verifier(&server, 60_000, None);
    let token = es256_token(KID, &claims(ES_ISS));
    v.verify(&token, NOW).await.expect("valid");
    let leeway = 30;
    assert_eq!(
        v.verify(&token, NOW + 3600 + leeway).await.map(drop),
        Err(Denial::Expired)
    );
    assert_eq!(v.recent_tokens(), 0, "an expired token is forgotten");
    assert_eq!(
        v.verify(&token, NOW + 3600 + leeway).await.map(drop),
        Err(Denial::Expired),
        "and denied the same way when verified afresh"
    );
}

#[tokio::test]
async fn a_withdrawn_key_stops_a_cached_token() {
    let server = JwksServer::start(vec![jwk(KID), jwk("other")]).await;
    let v = verifier(&server, 100, None);
    let token = es256_token(KID, &claims(ES_ISS));
    v.verify(&token, NOW).await.expect("valid");
    server.set_keys(vec![jwk("other")]); // the IdP revokes the key
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        v.verify(&token, NOW).await.map(drop),
        Err(Denial::UnknownKid)
    );
    assert_eq!(v.recent_tokens(), 0);
}

#[tokio::test]
async fn a_refreshed_key_set_means_one_full_verification_again() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let v = verifier(&server, 100, None);
    let token = es256_token(KID, &claims(ES_ISS));
    let first = v.verify(&token, NOW).await.expect("valid");
    tokio::time::sleep(Duration::from_millis(150)).await; // the set expires; same key served
    let after = v
        .verify(&token, NOW)
        .await
        .expect("valid under the refetched set");
    assert_eq!(server.hits(), 2);
    assert!(
        !Arc::ptr_eq(&first.claims, &after.claims),
        "a new key object: the token was parsed and its signature checked again"
    );
    let third = v.verify(&token, NOW).await.expect("valid");
    assert!(
        Arc::ptr_eq(&after.claims, &third.claims),
        "and cached again"
    );
}

#[tokio::test]
async fn an_unavailable_key_set_denies_a_cached_token_as_infrastructure() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let v = verifier(&server, 100, None);
    let token = es256_token(KID, &claims(ES_ISS));
    v.verify(&token, NOW).await.expect("valid");
    server.set_mode(common::Mode::Status(503));
    tokio::time::sleep(Duration::from_millis(150)).await; // expired, no stale window
    let denial = v.verify(&token, NOW).await.map(drop).expect_err("no keys");
    assert_eq!(denial, Denial::KeysUnavailable);
    assert!(denial.is_infrastructure());
}

#[tokio::test]
async fn only_tokens_that_pass_every_check_are_stored() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let v = verifier(&server, 60_000, None);
    let token = es256_token(KID, &claims(ES_ISS));
    // The same header and payload with another token's signature.
    let mut other = claims(ES_ISS);
    other["sub"] = "user-2".into();
    let signature = es256_token(KID, &other)
        .rsplit('.')
        .next()
        .map(str::to_owned);
    let forged = format!(
        "{}.{}",
        token.rsplit_once('.').expect("three segments").0,
        signature.expect("signature")
    );
    v.verify(&token, NOW).await.expect("valid");
    assert_eq!(
        v.verify(&forged, NOW).await.map(drop),
        Err(Denial::BadSignature),
        "a token that differs from a cached one in any byte is verified on its own"
    );
    let mut expired = claims(ES_ISS);
    expired["exp"] = (NOW - 100).into();
    let expired = es256_token(KID, &expired);
    assert_eq!(
        v.verify(&expired, NOW).await.map(drop),
        Err(Denial::Expired)
    );
    assert_eq!(v.recent_tokens(), 1, "only the valid token is held");
}

#[tokio::test]
async fn shared_secret_tokens_are_cached_too() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let v = verifier(&server, 60_000, None);
    let token = hs256_token(&claims(HS_ISS));
    let first = v.verify(&token, NOW).await.expect("valid");
    let again = v.verify(&token, NOW).await.expect("valid");
    assert!(Arc::ptr_eq(&first.claims, &again.claims));
    assert_eq!(first.issuer.iss(), HS_ISS);
    assert_eq!(again.issuer.iss(), HS_ISS);
}

#[tokio::test]
async fn capacity_bounds_the_cache_and_zero_turns_it_off() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let v = verifier(&server, 60_000, Some(2));
    for n in 0..5 {
        let mut c = claims(ES_ISS);
        c["sub"] = format!("user-{n}").into();
        v.verify(&es256_token(KID, &c), NOW).await.expect("valid");
        assert!(v.recent_tokens() <= 2);
    }
    let off = verifier(&server, 60_000, Some(0));
    let token = es256_token(KID, &claims(ES_ISS));
    let first = off.verify(&token, NOW).await.expect("valid");
    let again = off.verify(&token, NOW).await.expect("valid");
    assert_eq!(off.recent_tokens(), 0);
    assert!(!Arc::ptr_eq(&first.claims, &again.claims));
}

#[tokio::test]
async fn a_capacity_above_the_maximum_is_a_configuration_error() {
    let server = JwksServer::start(vec![jwk(KID)]).await;
    let too_big = config(&server, Some(16_384 + 1));
    let err = Verifier::new(&too_big, &deps(60_000))
        .expect_err("too big")
        .to_string();
    assert!(err.contains("verifiedTokenCache"), "{err}");
}
