//! The key-set cache against a real loopback JWKS server that fails on command, under
//! short policies so that maximum age, stale-if-error, backoff and cooldown can be seen
//! within a test: bounded fetches under storms and concurrency, a bounded stale window,
//! and recovery without intervention.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{JwksServer, Mode, jwk};
use jwt_authz::{
    Algorithm, Denial, FetchLimits, HttpFetcher, JwksCache, JwksPolicy, KeySet, KeySource,
};

fn policy(max_age_ms: u64, stale_ms: u64, cooldown_ms: u64, backoff_ms: u64) -> JwksPolicy {
    JwksPolicy {
        max_age: Duration::from_millis(max_age_ms),
        stale_if_error: Duration::from_millis(stale_ms),
        unknown_kid_cooldown: Duration::from_millis(cooldown_ms),
        failure_backoff: Duration::from_millis(backoff_ms),
    }
}

fn cache(server: &JwksServer, policy: JwksPolicy) -> Arc<JwksCache> {
    let limits = FetchLimits {
        timeout: Duration::from_secs(3),
        ..FetchLimits::default()
    };
    let fetcher = Arc::new(HttpFetcher::new(limits).expect("client"));
    Arc::new(JwksCache::new(
        KeySource::Jwks(server.url()),
        fetcher,
        policy,
    ))
}

async fn lookup(cache: &JwksCache, kid: &str) -> Result<(), Denial> {
    cache.key(Some(kid), Algorithm::ES256).await.map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cold_lookups_share_one_fetch() {
    let server = JwksServer::start(vec![jwk("a")]).await;
    server.set_mode(Mode::Slow(Duration::from_millis(300)));
    let cache = cache(&server, JwksPolicy::default());
    let lookups = (0..64).map(|_| {
        let cache = cache.clone();
        tokio::spawn(async move { lookup(&cache, "a").await })
    });
    for result in futures::future::join_all(lookups).await {
        assert_eq!(result.expect("task"), Ok(()));
    }
    assert_eq!(server.hits(), 1, "single flight: one fetch for 64 callers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_unknown_kids_costs_one_fetch_per_cooldown() {
    let server = JwksServer::start(vec![jwk("a")]).await;
    let cache = cache(&server, policy(600_000, 0, 1_500, 100));
    cache.prefetch().await.expect("prefetch");
    let storm = (0..500).map(|i| {
        let cache = cache.clone();
        tokio::spawn(async move { lookup(&cache, &format!("unknown-{i}")).await })
    });
    for result in futures::future::join_all(storm).await {
        assert_eq!(result.expect("task"), Err(Denial::UnknownKid));
    }
    for i in 0..200 {
        assert_eq!(
            lookup(&cache, &format!("later-{i}")).await,
            Err(Denial::UnknownKid)
        );
    }
    assert_eq!(
        server.hits(),
        2,
        "prefetch + one refetch for 700 unknown kids"
    );
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    for i in 0..50 {
        let _ = lookup(&cache, &format!("after-cooldown-{i}")).await;
    }
    assert_eq!(
        server.hits(),
        3,
        "one more refetch once the cooldown is over"
    );
    assert_eq!(lookup(&cache, "a").await, Ok(()), "known keys unaffected");
}

#[tokio::test]
async fn known_kids_do_not_wait_for_a_slow_refresh() {
    let server = JwksServer::start(vec![jwk("a")]).await;
    let cache = cache(&server, JwksPolicy::default());
    cache.prefetch().await.expect("prefetch");
    server.set_mode(Mode::Slow(Duration::from_secs(2)));
    let refreshing = {
        let cache = cache.clone();
        tokio::spawn(async move { lookup(&cache, "rotated").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(lookup(&cache, "a").await, Ok(()));
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "served from memory while the refresh is in flight ({:?})",
        started.elapsed()
    );
    assert_eq!(refreshing.await.expect("task"), Err(Denial::UnknownKid));
}

#[tokio::test]
async fn a_stale_set_serves_for_a_bounded_window_while_refreshes_fail() {
    let server = JwksServer::start(vec![jwk("a")]).await;
    let cache = cache(&server, policy(300, 700, 10_000, 50));
    cache.prefetch().await.expect("prefetch");
    let loaded = Instant::now();
    server.set_mode(Mode::Status(503));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        lookup(&cache, "a").await,
        Ok(()),
        "past max-age, refresh failed: the last good set is still served"
    );
    assert!(server.hits() >= 2, "a refresh was attempted");
    tokio::time::sleep(Duration::from_millis(1_050).saturating_sub(loaded.elapsed())).await;
    assert_eq!(
        lookup(&cache, "a").await,
        Err(Denial::KeysUnavailable),
        "past max-age + stale-if-error: no keys at all"
    );
    server.set_mode(Mode::Healthy);
    tokio::time::sleep(Duration::from_millis(100)).await; // the failure backoff
    assert_eq!(lookup(&cache, "a").await, Ok(()), "recovers by itself");
}

#[tokio::test]
async fn an_expired_set_is_refetched_so_a_removed_key_stops_verifying() {
    let server = JwksServer::start(vec![jwk("a"), jwk("b")]).await;
    let cache = cache(&server, policy(200, 60_000, 60_000, 50));
    cache.prefetch().await.expect("prefetch");
    assert_eq!(lookup(&cache, "b").await, Ok(()));
    server.set_keys(vec![jwk("a")]); // the IdP revokes "b"
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(lookup(&cache, "b").await, Err(Denial::UnknownKid));
    assert_eq!(lookup(&cache, "a").await, Ok(()));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn failed_fetches_are_not_retried_within_the_backoff() {
    let server = JwksServer::start(vec![jwk("a")]).await;
    server.set_mode(Mode::Status(500));
    let cache = cache(&server, policy(600_000, 0, 0, 400));
    assert!(cache.prefetch().await.is_err());
    for _ in 0..100 {
        assert_eq!(lookup(&cache, "a").await, Err(Denial::KeysUnavailable));
    }
    assert_eq!(server.hits(), 1, "one attempt per backoff window");
    server.set_mode(Mode::Healthy);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        lookup(&cache, "a").await,
        Ok(()),
        "recovers after the backoff"
    );
    assert_eq!(server.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn other_callers_get_the_stale_set_at_once_while_an_expired_one_refreshes() {
    let server = JwksServer::start(vec![jwk("a")]).await;
    let cache = cache(&server, policy(100, 60_000, 60_000, 50));
    cache.prefetch().await.expect("prefetch");
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.set_mode(Mode::Slow(Duration::from_millis(1_500)));
    let refreshing = {
        let cache = cache.clone();
        tokio::spawn(async move { lookup(&cache, "a").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(lookup(&cache, "a").await, Ok(()));
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "did not queue behind the fetch ({:?})",
        started.elapsed()
    );
    assert_eq!(refreshing.await.expect("task"), Ok(()));
    assert_eq!(server.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotation_under_concurrent_load_keeps_every_answer_right() {
    let server = JwksServer::start(vec![jwk("old")]).await;
    let cache = cache(&server, policy(600_000, 0, 5_000, 50));
    cache.prefetch().await.expect("prefetch");
    server.set_keys(vec![jwk("old"), jwk("new")]);
    let load = (0..400).map(|i| {
        let cache = cache.clone();
        let kid = ["old", "new", "bogus"][i % 3];
        tokio::spawn(async move { (kid, lookup(&cache, kid).await) })
    });
    for result in futures::future::join_all(load).await {
        let (kid, answer) = result.expect("task");
        match kid {
            "old" | "new" => assert_eq!(answer, Ok(()), "{kid}"),
            _ => assert_eq!(answer, Err(Denial::UnknownKid)),
        }
    }
    assert_eq!(server.hits(), 2, "the new key cost exactly one refetch");
}

#[test]
fn a_kid_shared_by_two_keys_finds_the_one_bound_to_the_algorithm() {
    let rsa = serde_json::json!({"kty":"RSA","kid":"shared","alg":"RS256",
        "n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"});
    let set = KeySet::parse(
        serde_json::json!({"keys": [rsa, jwk("shared"), jwk("other")]})
            .to_string()
            .as_bytes(),
        &url::Url::parse("https://issuer.test/jwks.json").expect("url"),
    )
    .expect("parses");
    assert_eq!(set.len(), 3);
    let es = set
        .find(Some("shared"), Algorithm::ES256)
        .expect("the EC key");
    assert_eq!(es.algorithms, vec![Algorithm::ES256]);
    let rs = set
        .find(Some("shared"), Algorithm::RS256)
        .expect("the RSA key");
    assert_eq!(rs.algorithms, vec![Algorithm::RS256]);
    assert_eq!(
        set.find(Some("shared"), Algorithm::EdDSA).err(),
        Some(Denial::AlgorithmNotAllowed)
    );
    assert_eq!(
        set.find(Some("missing"), Algorithm::ES256).err(),
        Some(Denial::UnknownKid)
    );
    assert_eq!(
        set.find(None, Algorithm::ES256).err(),
        Some(Denial::KidMissing)
    );
}

#[test]
fn a_key_set_keeps_at_most_64_keys_and_skips_unusable_ones() {
    let mut keys: Vec<serde_json::Value> = (0..100).map(|i| jwk(&format!("k{i}"))).collect();
    keys.push(serde_json::json!({"kty":"oct","k":"c2VjcmV0","kid":"hmac"}));
    keys.push(serde_json::json!("not a key"));
    let body = serde_json::json!({"keys": keys}).to_string();
    let url = url::Url::parse("https://issuer.test/jwks.json").expect("url");
    let set = KeySet::parse(body.as_bytes(), &url).expect("parses");
    assert_eq!(set.len(), 64);
    // The symmetric key is published, so its kid is known, but it is never used.
    assert_eq!(
        set.find(Some("hmac"), Algorithm::HS256).err(),
        Some(Denial::KeyUnusable)
    );
}
