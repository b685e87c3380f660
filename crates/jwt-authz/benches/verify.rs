//! Token verification per algorithm, next to its raw-crypto floor.
//!
//! For each of ES256, RS256, EdDSA and HS256, three measurements of the same token:
//! - `verifier`: the whole `Verifier::verify` path (extraction, header, issuer
//!   selection, key lookup in the JWKS cache, signature, registered claims, Supabase
//!   profile checks), keys loaded once through the real cache from a [`MemoryFetcher`];
//! - `jsonwebtoken`: only `jsonwebtoken::crypto::verify` with the `DecodingKey` the
//!   verifier holds: the signature call the verifier makes, nothing else;
//! - `aws-lc`: base64url-decode the signature and check it with aws-lc-rs on a key parsed
//!   once ahead of time: the least any verifier on this backend must do per token;
//! - `verifier-repeat`: `Verifier::verify` on a token it has verified before, answered by
//!   the recent-token cache (key lookup and claim checks again, no parsing or signature).
//!   The other two `verifier` figures run with the cache off (`common::config`).
//!
//! `bench/criterion_ratios.py` prints `verifier / floor` from the results. Run with
//! `cargo bench -p jwt-authz --bench verify`.

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use common::{Alg, Keys, MemoryFetcher, NOW};
use criterion::{Criterion, criterion_group, criterion_main};
use jwt_authz::Verifier;

fn verification(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let keys = Keys::generate();
    let fetcher = Arc::new(MemoryFetcher::new(&keys.jwks()));

    for alg in Alg::ALL {
        let verifier = Verifier::new(&common::config(alg), &common::dependencies(fetcher.clone()))
            .expect("verifier compiles");
        runtime.block_on(verifier.prefetch());
        let token = keys.token(alg);
        // Sanity: every path accepts the token before anything is timed.
        runtime
            .block_on(verifier.verify(&token, NOW))
            .unwrap_or_else(|denial| panic!("{} token denied: {denial:?}", alg.name()));
        let decoding_key = keys.decoding_key(alg);
        assert!(common::jsonwebtoken_verify(&token, &decoding_key, alg));
        let floor = keys.floor(alg);
        assert!(floor.verify(&token));

        let mut group = c.benchmark_group(format!("verify/{}", alg.name()));
        group.measurement_time(Duration::from_secs(4));
        group.bench_function("verifier", |b| {
            b.to_async(&runtime).iter(|| async {
                let verified = verifier.verify(black_box(&token), NOW).await;
                black_box(verified.is_ok())
            })
        });
        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| common::jsonwebtoken_verify(black_box(&token), &decoding_key, alg))
        });
        group.bench_function("aws-lc", |b| b.iter(|| floor.verify(black_box(&token))));
        let mut cached = common::config(alg);
        cached.verified_token_cache = None; // the default
        let repeat = Verifier::new(&cached, &common::dependencies(fetcher.clone()))
            .expect("verifier compiles");
        runtime.block_on(repeat.prefetch());
        runtime
            .block_on(repeat.verify(&token, NOW))
            .unwrap_or_else(|denial| panic!("{} token denied: {denial:?}", alg.name()));
        assert_eq!(repeat.recent_tokens(), 1);
        group.bench_function("verifier-repeat", |b| {
            b.to_async(&runtime).iter(|| async {
                let verified = repeat.verify(black_box(&token), NOW).await;
                black_box(verified.is_ok_and(|v| v.recent))
            })
        });
        group.finish();
    }
    // The key sets were loaded once, at prefetch; the warm path never fetched.
    let asymmetric = Alg::ALL.iter().filter(|a| **a != Alg::Hs256).count() as u64;
    assert_eq!(
        fetcher.fetches(),
        2 * asymmetric, // two verifiers per algorithm, one prefetch each
        "the warm path must not fetch keys"
    );
}

criterion_group!(benches, verification);
criterion_main!(benches);
