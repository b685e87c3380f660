//! Key sets whose keys cannot be used, served by a real loopback JWKS server: the denial
//! says a key with the token's `kid` exists but is unusable (`key_unusable`, not
//! `unknown_kid`), and one WARN per key-set load names why each such key was skipped.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{ES_ISS, JwksServer, KID, NOW, claims, es256_token, jwk};
use jwt_authz::{
    AuthorizerConfig, Denial, Dependencies, FetchLimits, HttpFetcher, IssuerConfig, JwksPolicy,
    NoSecretStore, SkipReason, Verifier,
};
use serde_json::{Value, json};

/// Log lines captured from the library's `tracing` events.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn warnings(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().expect("lock"))
            .lines()
            .filter(|l| l.contains("WARN"))
            .map(str::to_owned)
            .collect()
    }
}

fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

fn verifier(server: &JwksServer) -> Verifier {
    let config = AuthorizerConfig {
        issuers: vec![IssuerConfig {
            issuer: ES_ISS.into(),
            jwks_url: Some(server.url().to_string()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let deps = Dependencies {
        fetcher: Arc::new(HttpFetcher::new(FetchLimits::default()).expect("client")),
        secrets: Arc::new(NoSecretStore),
        jwks_policy: JwksPolicy::default(),
    };
    Verifier::new(&config, &deps).expect("compiles")
}

fn with(mut key: Value, member: &str, value: Value) -> Value {
    key[member] = value;
    key
}

async fn denial(verifier: &Verifier, kid: &str) -> Option<Denial> {
    verifier
        .verify(&es256_token(kid, &claims(ES_ISS)), NOW)
        .await
        .err()
}

#[tokio::test]
async fn a_set_of_sign_only_keys_denies_key_unusable_and_warns_once_per_load() {
    let (logs, _guard) = capture();
    let server = JwksServer::start(vec![with(jwk(KID), "key_ops", json!(["sign"]))]).await;
    let verifier = verifier(&server);
    verifier.prefetch().await;
    for _ in 0..3 {
        assert_eq!(denial(&verifier, KID).await, Some(Denial::KeyUnusable));
    }
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("no usable key")
            && warnings[0].contains(&format!("kid {KID:?}"))
            && warnings[0].contains(SkipReason::KeyOpsWithoutVerify.as_str()),
        "{}",
        warnings[0]
    );
    assert_eq!(Denial::KeyUnusable.code(), "key_unusable");
    assert!(!Denial::KeyUnusable.is_infrastructure());
}

#[tokio::test]
async fn a_kid_carried_only_by_skipped_keys_is_unusable_and_warns_once() {
    let (logs, _guard) = capture();
    let server = JwksServer::start(vec![
        jwk("good"),
        with(jwk(KID), "use", json!("enc")),
        with(jwk(KID), "alg", json!("ES384")),
        json!({"kty":"OKP","crv":"X448","x":"AAAA","kid":KID}),
    ])
    .await;
    let verifier = verifier(&server);
    verifier.prefetch().await;
    assert!(
        logs.warnings().is_empty(),
        "a set with a usable key loads quietly"
    );
    for _ in 0..3 {
        assert_eq!(denial(&verifier, KID).await, Some(Denial::KeyUnusable));
    }
    assert_eq!(
        denial(&verifier, "nobody").await,
        Some(Denial::UnknownKid),
        "no key at all with this kid"
    );
    assert_eq!(denial(&verifier, "good").await, None);
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    for reason in [
        SkipReason::UseNotSig,
        SkipReason::AlgorithmMismatch,
        SkipReason::UnsupportedCurve,
    ] {
        assert!(warnings[0].contains(reason.as_str()), "{}", warnings[0]);
    }
    assert!(!warnings[0].contains("good"), "{}", warnings[0]);
}

#[tokio::test]
async fn the_key_set_exposes_what_was_skipped() {
    let server = JwksServer::start(vec![
        jwk("good"),
        with(jwk("signer"), "key_ops", json!(["sign"])),
        json!({"kty":"oct","k":"c2VjcmV0","kid":"hmac"}),
    ])
    .await;
    let verifier = verifier(&server);
    verifier.prefetch().await;
    let set = verifier.issuers()[0]
        .key_cache()
        .and_then(|c| c.current())
        .expect("loaded");
    assert_eq!(set.len(), 1);
    let skipped: Vec<(Option<&str>, SkipReason)> = set
        .skipped()
        .iter()
        .map(|s| (s.kid.as_deref(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            (Some("signer"), SkipReason::KeyOpsWithoutVerify),
            (Some("hmac"), SkipReason::Symmetric)
        ]
    );
}
