//! The release `authorizer` against an aws-jwt-verify authorizer (`bench/node/authorizer.mjs`)
//! and a do-nothing lambda_runtime function (the protocol's floor), every one a real
//! process under the same Runtime API emulator, verifying the same Supabase-shaped ES256
//! and RS256 tokens against the same loopback JWKS and answering the same `EVENT_SUBSCRIBE`
//! requests (channel rule `/users/{sub}/*`).
//!
//! - cold start: spawn → first answer (init, key-set fetch, first verification), and
//!   spawn → first `/next` poll (init alone), interleaved;
//! - warm CPU per invocation in alternating blocks ([`paired`](super::paired)), in two
//!   scenarios: "distinct" (no token is presented twice: every invocation verifies a
//!   signature, like for like) and "repeated" (64 tokens over and over, as AppSync sends
//!   under channel rules; the Rust function answers them from its recent-token cache);
//! - peak RSS (`VmHWM`) at the end of the warm run.

use serde_json::{Value, json};
use testkit::idp::{JwksServer, TestKey, now};

use super::function::{Function, Implementation, Invocation, fail};
use super::paired::{self, Plan, Warm};
use super::stats::{median, pct, ratio_summary, verdict};
use super::{Options, Setup};

const ALGS: [&str; 2] = ["ES256", "RS256"];
/// Tokens rotated in the "repeated" scenario (well under the default cache of 512).
const REPEATED_TOKENS: usize = 64;

fn claims(iss: &str, sub: &str) -> Value {
    let now = now();
    json!({
        "iss": iss, "sub": sub, "aud": "authenticated", "exp": now + 3600, "iat": now - 60,
        "email": "alice@example.com", "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"], "org_id": "acme"},
        "user_metadata": {"email": "alice@example.com", "email_verified": true},
        "role": "authenticated", "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now - 60}],
        "session_id": format!("{:016x}-session", fastrand_like(sub)), "is_anonymous": false,
    })
}

/// A stable per-subject number (session ids only need to differ).
fn fastrand_like(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn subscribe(token: &str, sub: &str, i: usize) -> Value {
    json!({
        "authorizationToken": token,
        "requestContext": {
            "apiId": "q4xz7ehpzbgvdmhkmx5wzmorsu", "accountId": "111122223333",
            "requestId": format!("00000000-0000-4000-8000-{i:012}"), "operation": "EVENT_SUBSCRIBE",
            "channelNamespaceName": "users", "channel": format!("/users/{sub}/inbox"),
        },
        "requestHeaders": {
            "host": "q4xz7ehpzbgvdmhkmx5wzmorsu.appsync-realtime-api.us-east-1.amazonaws.com",
            "origin": "http://localhost:3000",
            "user-agent": "aws-amplify/6.15.2 api/1 framework/2",
        },
    })
}

fn allowed(answer: &Value, sub: &str) -> bool {
    answer["isAuthorized"] == true
        && answer["handlerContext"]["sub"] == sub
        && answer["ttlOverride"] == 0
}

/// The events of one algorithm: `(event, sub)`, every token distinct.
struct Events(Vec<(Value, String)>);

fn mint(key: &TestKey, kid: &str, iss: &str, count: usize) -> Events {
    Events(
        (0..count)
            .map(|i| {
                let sub = format!(
                    "{:08x}-7a1e-4c1e-9b1e-{:012x}",
                    fastrand_like(kid) as u32,
                    i
                );
                let token = key.token(Some(kid), &claims(iss, &sub));
                (subscribe(&token, &sub, i), sub)
            })
            .collect(),
    )
}

/// Runs the comparison and prints its tables; returns the figures as JSON.
pub(crate) async fn run(setup: &Setup, options: &Options) -> Value {
    let keys = [(TestKey::es256(), "es"), (TestKey::rs256(), "rs")];
    let idp = JwksServer::start(keys.iter().map(|(k, kid)| k.jwk(kid)).collect()).await;
    let iss = format!("{}/auth/v1", idp.base());
    let config = json!({
        "issuers": [{"issuer": iss, "profile": "supabase", "jwksUrl": idp.jwks_url()}],
        "channelRules": [{"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]}],
        "cacheTtlSeconds": 300,
    });
    let rust = Implementation::new("rust-authorizer", &setup.binary("authorizer"))
        .env("AUTHORIZER_CONFIG", config.to_string());
    let node = Implementation::node(
        "aws-jwt-verify",
        &setup.node,
        &setup.node_dir,
        &["authorizer.mjs"],
    )
    .env("JWT_ISSUER", &iss)
    .env("JWT_JWKS_URL", idp.jwks_url());
    let floor = Implementation::new("runtime-floor", &setup.example("runtime_floor"));
    let plan = options.plan(3000, 40, 250);
    let cold_runs = options
        .cold_runs
        .unwrap_or(if options.quick { 2 } else { 15 });

    let distinct = plan.warmup + plan.blocks * plan.block_size;
    eprintln!("minting {distinct} distinct tokens per algorithm");
    let events: Vec<Events> = keys
        .iter()
        .map(|(key, kid)| mint(key, kid, &iss, distinct.max(cold_runs).max(REPEATED_TOKENS)))
        .collect();

    // Both must deny a forged token (a signature from another token) before anything is measured.
    let (forged_event, _) = &events[0].0[0];
    let other = events[0].0[1].0["authorizationToken"]
        .as_str()
        .unwrap_or_default();
    let mut forged = forged_event.clone();
    let token = forged["authorizationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (signed, _) = token.rsplit_once('.').unwrap_or_default();
    let (_, signature) = other.rsplit_once('.').unwrap_or_default();
    forged["authorizationToken"] = json!(format!("{signed}.{signature}"));
    for implementation in [&rust, &node] {
        let function = Function::spawn(implementation, &setup.log_dir).await;
        function
            .invoke(&forged)
            .await
            .expect(&format!("{}: forged token", function.name), |a| {
                a["isAuthorized"] == false
            });
    }

    eprintln!("cold starts: {cold_runs} per implementation and algorithm, interleaved");
    let mut cold = vec![[(Vec::new(), Vec::new()), (Vec::new(), Vec::new())]; ALGS.len()];
    let mut first_answers: Vec<Vec<Value>> = vec![Vec::new(); ALGS.len()];
    for run in 0..cold_runs {
        for (a, alg_events) in events.iter().enumerate() {
            for (n, implementation) in [&rust, &node].into_iter().enumerate() {
                let (event, sub) = &alg_events.0[run];
                let function = Function::spawn(implementation, &setup.log_dir).await;
                let invocation = function.invoke(event).await;
                let answer = invocation.expect(implementation.name, |a| allowed(a, sub));
                let (ms, init) = &mut cold[a][n];
                ms.push((invocation.answered_at - function.spawned_at()).as_secs_f64() * 1e3);
                init.push(
                    function
                        .init_time()
                        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
                );
                if run == 0 {
                    first_answers[a].push(answer.clone());
                }
            }
        }
    }
    for (alg, answers) in ALGS.iter().zip(&first_answers) {
        let shape = |v: &Value| {
            let keys = |o: &Value| o.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
            (keys(v), keys(&v["handlerContext"]))
        };
        if shape(&answers[0]) != shape(&answers[1]) {
            fail(&format!(
                "{alg}: the two implementations answer differently: {answers:?}"
            ));
        }
    }

    eprintln!(
        "warm: {} warm-up invocations each, then {} alternating blocks of {} per implementation",
        plan.warmup, plan.blocks, plan.block_size
    );
    let impls = [&rust, &floor, &node]; // the baseline last
    let mut warm = Vec::new();
    for scenario in ["distinct", "repeated"] {
        for (a, alg_events) in events.iter().enumerate() {
            let pool = if scenario == "distinct" {
                alg_events.0.len()
            } else {
                REPEATED_TOKENS
            };
            let payload = |i: usize| alg_events.0[i % pool].0.clone();
            let check = |function: &Function, i: usize, invocation: &Invocation| {
                if function.name != "runtime-floor" {
                    let sub = &alg_events.0[i % pool].1;
                    invocation.expect(function.name, |a| allowed(a, sub));
                }
            };
            let mut functions = Vec::new();
            for implementation in impls {
                functions.push(Function::spawn(implementation, &setup.log_dir).await);
            }
            let (figures, steal) = paired::run(&functions, plan, 1.0, &payload, &check).await;
            warm.push((scenario, ALGS[a], figures, steal));
        }
    }
    report(&cold, &warm, setup, plan, cold_runs)
}

#[allow(clippy::print_stdout)] // the tables are the command's output
fn report(
    cold: &[[(Vec<f64>, Vec<f64>); 2]],
    warm: &[(&str, &str, Vec<Warm>, f64)],
    setup: &Setup,
    plan: Plan,
    cold_runs: usize,
) -> Value {
    let size = std::fs::metadata(setup.binary("authorizer")).map_or(0, |m| m.len());
    println!(
        "\nauthorizer binary: {:.2} MB ({size} bytes)",
        size as f64 / 1e6
    );
    println!(
        "\n{:<38}{:<7}{:>10}{:>16}  ratio",
        "metric", "alg", "rust", "aws-jwt-verify"
    );
    let mut json_cold = serde_json::Map::new();
    for (alg, [(r_ms, r_init), (n_ms, n_init)]) in ALGS.iter().zip(cold) {
        let (r, n) = (median(r_ms), median(n_ms));
        println!(
            "{:<38}{alg:<7}{r:>10.1}{n:>16.1}  {:.2}x  {}",
            "cold start, median (ms)",
            r / n,
            verdict(r / n, 0.10)
        );
        println!(
            "{:<38}{alg:<7}{:>10.1}{:>16.1}",
            "  init only, median (ms)",
            median(r_init),
            median(n_init)
        );
        json_cold.insert(alg.to_string(), json!({"rust_ms": r, "node_ms": n, "rust_init_ms": median(r_init), "node_init_ms": median(n_init)}));
    }
    let mut json_warm = serde_json::Map::new();
    for (scenario, alg, figures, steal) in warm {
        let [rust, floor, node] = [&figures[0], &figures[1], &figures[2]];
        let (r, f, n) = (
            median(&rust.cpu_us),
            median(&floor.cpu_us),
            median(&node.cpu_us),
        );
        println!(
            "\nwarm, {scenario} tokens, {alg} (host steal {:.1} %)",
            steal * 100.0
        );
        println!(
            "{:<38}{:<7}{r:>10.1}{n:>16.1}  {}",
            "CPU / invocation, median (us)",
            alg,
            ratio_summary(&rust.ratios)
        );
        println!(
            "{:<38}{:<7}{:>10.1}{:>16.1}",
            "  of which kernel (us)",
            alg,
            r * rust.kernel_share,
            n * node.kernel_share
        );
        println!(
            "{:<38}{:<7}{f:>10.1}{n:>16.1}  {}",
            "  floor: no-op lambda_runtime (us)",
            alg,
            ratio_summary(&floor.ratios)
        );
        println!(
            "{:<38}{:<7}{:>10.1}{:>16.1}",
            "  context switches / invocation", alg, rust.switches, node.switches
        );
        println!(
            "{:<38}{:<7}{:>10}{:>16}",
            "  threads", alg, rust.threads, node.threads
        );
        println!(
            "{:<38}{:<7}{:>10.0}{:>16.0}",
            "wall / invocation, median (us)",
            alg,
            median(&rust.wall_us),
            median(&node.wall_us)
        );
        println!(
            "{:<38}{:<7}{:>10.0}{:>16.0}",
            "wall / invocation, p99 (us)",
            alg,
            pct(&rust.wall_us, 99.0),
            pct(&node.wall_us, 99.0)
        );
        println!(
            "{:<38}{:<7}{:>10.1}{:>16.1}",
            "peak RSS (MB)",
            alg,
            rust.peak_rss_kb as f64 / 1024.0,
            node.peak_rss_kb as f64 / 1024.0
        );
        json_warm.insert(format!("{scenario}/{alg}"), json!({
            "rust_cpu_us": r, "node_cpu_us": n, "floor_cpu_us": f,
            "ratio_median": median(&rust.ratios), "ratio_q1": pct(&rust.ratios, 25.0), "ratio_q3": pct(&rust.ratios, 75.0),
            "floor_ratio_median": median(&floor.ratios),
            "rust_kernel_us": r * rust.kernel_share, "node_kernel_us": n * node.kernel_share,
            "rust_peak_rss_kb": rust.peak_rss_kb, "node_peak_rss_kb": node.peak_rss_kb,
            "rust_wall_us_median": median(&rust.wall_us), "node_wall_us_median": median(&node.wall_us),
            "steal_share": steal,
        }));
    }
    println!(
        "\n(cold: {cold_runs} runs each; warm: {} alternating blocks of {} invocations after {} warm-up; CPU from schedstat)",
        plan.blocks, plan.block_size, plan.warmup
    );
    json!({"binary_bytes": size, "cold": json_cold, "warm": json_warm,
           "plan": {"cold_runs": cold_runs, "warmup": plan.warmup, "blocks": plan.blocks, "block_size": plan.block_size}})
}
