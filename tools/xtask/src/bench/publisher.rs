//! The release `publisher` against a Node.js publisher written the way AWS shows it
//! (`bench/node/publisher.mjs`: the AWS SDK's SigV4 signer and `fetch`), both real
//! processes under the same Runtime API emulator, publishing the same direct-invoke
//! batches to the same loopback endpoint: `local-events` with `AWS_IAM` on every
//! namespace, so every request of both is SigV4-verified (an unsigned or mis-signed
//! publish fails the run).
//!
//! - cold start: spawn → the answer to a first one-event publish (init included);
//! - warm CPU per published event, for batches of 1, 5 and 100 events, in alternating
//!   blocks ([`paired`](super::paired)); a batch of 100 is 10 channels × 10 events, so
//!   both publish 20 requests, a channel's in order, channels 4 at a time (the Rust
//!   default `PUBLISH_CONCURRENCY`, the same in the Node handler);
//! - events per second of one warm function invoked back to back, for each batch size;
//! - peak RSS (`VmHWM`) after the warm runs.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::function::{Function, Implementation, Invocation, fail};
use super::paired::{self, Plan, Warm};
use super::stats::{median, pct, ratio_summary, verdict};
use super::{Options, Setup};

const ACCESS_KEY: &str = "AKIDBENCHPUBLISHER01";
const SECRET_KEY: &str = "bench/Publisher+Secret+Key+0123456789abcd";
/// Events per invocation, and the channels they are spread over.
const BATCHES: [(usize, usize); 3] = [(1, 1), (5, 1), (100, 10)];

/// `local-events` in IAM mode on an ephemeral loopback port; killed on drop.
struct Endpoint {
    _child: Child,
    url: String,
}

async fn start_endpoint(binary: &Path, log_dir: &Path) -> Endpoint {
    let log_path = log_dir.join("local-events.log");
    let log = std::fs::File::create(&log_path).unwrap_or_else(|e| fail(&format!("log file: {e}")));
    let err = log
        .try_clone()
        .unwrap_or_else(|e| fail(&format!("log file: {e}")));
    let child = Command::new(binary)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--history",
            "1",
            "--region",
            "us-east-1",
        ])
        .args([
            "--connect-auth",
            "iam",
            "--publish-auth",
            "iam",
            "--subscribe-auth",
            "iam",
        ])
        .args([
            "--iam-access-key-id",
            ACCESS_KEY,
            "--iam-secret-access-key",
            SECRET_KEY,
        ])
        .env("RUST_LOG", "warn,local_events=info")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| fail(&format!("{} does not start: {e}", binary.display())));
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(addr) = text
            .lines()
            .find(|l| l.contains("local-events listening"))
            .and_then(|l| l.rsplit_once("addr=").map(|(_, a)| a.trim().to_owned()))
        {
            return Endpoint {
                _child: child,
                url: format!("http://{addr}/event"),
            };
        }
        if started.elapsed() > Duration::from_secs(20) {
            fail(&format!("local-events did not start:\n{text}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The direct-invoke payload of batch `events`/`channels`, invocation `i`.
fn batch(events: usize, channels: usize, i: usize) -> Value {
    let per_channel = events / channels;
    Value::Array(
        (0..channels)
            .map(|c| {
                json!({
                    "channel": format!("/default/orders/{c}"),
                    "events": (0..per_channel).map(|e| json!({
                        "type": "order.updated", "orderId": format!("o-{i}-{c}-{e}"),
                        "status": "shipped", "total": {"amount": 4299, "currency": "EUR"},
                        "at": "2026-12-05T14:00:00Z", "seq": i,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn published_all(answer: &Value, events: usize) -> bool {
    answer["published"] == events && answer["failed"].as_array().is_some_and(Vec::is_empty)
}

/// Runs the comparison and prints its tables; returns the figures as JSON.
pub(crate) async fn run(setup: &Setup, options: &Options) -> Value {
    let endpoint = start_endpoint(&setup.binary("local-events"), &setup.log_dir).await;
    let credentials = |i: Implementation| {
        i.env("EVENTS_ENDPOINT", &endpoint.url)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    };
    let rust = credentials(Implementation::new(
        "rust-publisher",
        &setup.binary("publisher"),
    ));
    let node = credentials(Implementation::node(
        "node-sdk-publisher",
        &setup.node,
        &setup.node_dir,
        &["runtime.mjs", "./publisher.mjs"],
    ));
    let cold_runs = options
        .cold_runs
        .unwrap_or(if options.quick { 2 } else { 15 });

    eprintln!("cold starts: {cold_runs} per implementation, interleaved (one-event publish)");
    let mut cold = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for run in 0..cold_runs {
        for (n, implementation) in [&rust, &node].into_iter().enumerate() {
            let function = Function::spawn(implementation, &setup.log_dir).await;
            let invocation = function.invoke(&batch(1, 1, run)).await;
            invocation.expect(implementation.name, |a| published_all(a, 1));
            cold[n]
                .0
                .push((invocation.answered_at - function.spawned_at()).as_secs_f64() * 1e3);
            cold[n].1.push(
                function
                    .init_time()
                    .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
            );
        }
    }

    let mut warm = Vec::new();
    for (events, channels) in BATCHES {
        // Keep about the same number of events per block whatever the batch size.
        let base = options.plan(1000, 20, 200);
        let plan = Plan {
            warmup: (base.warmup * 5 / events).max(2),
            blocks: base.blocks,
            block_size: (base.block_size * 5 / events).clamp(2, base.block_size),
        };
        eprintln!(
            "warm, batches of {events}: {} warm-up invocations each, then {} alternating blocks of {}",
            plan.warmup, plan.blocks, plan.block_size
        );
        let payload = |i: usize| batch(events, channels, i);
        let check = |function: &Function, _: usize, invocation: &Invocation| {
            invocation.expect(function.name, |a| published_all(a, events));
        };
        let functions = [
            Function::spawn(&rust, &setup.log_dir).await,
            Function::spawn(&node, &setup.log_dir).await,
        ];
        let (figures, steal) = paired::run(&functions, plan, events as f64, &payload, &check).await;
        warm.push((events, plan, figures, steal));
    }
    report(&cold, &warm, setup, cold_runs)
}

#[allow(clippy::print_stdout)] // the tables are the command's output
fn report(
    cold: &[(Vec<f64>, Vec<f64>); 2],
    warm: &[(usize, Plan, Vec<Warm>, f64)],
    setup: &Setup,
    cold_runs: usize,
) -> Value {
    let size = std::fs::metadata(setup.binary("publisher")).map_or(0, |m| m.len());
    println!(
        "\npublisher binary: {:.2} MB ({size} bytes)",
        size as f64 / 1e6
    );
    println!(
        "\n{:<40}{:>10}{:>12}  ratio",
        "metric", "rust", "node (SDK)"
    );
    let [(r_ms, r_init), (n_ms, n_init)] = cold;
    let (r, n) = (median(r_ms), median(n_ms));
    println!(
        "{:<40}{r:>10.1}{n:>12.1}  {:.3}x  {}",
        "cold start, median (ms)",
        r / n,
        verdict(r / n, 0.10)
    );
    println!(
        "{:<40}{:>10.1}{:>12.1}",
        "  init only, median (ms)",
        median(r_init),
        median(n_init)
    );
    let mut json_warm = serde_json::Map::new();
    let mut peak = (0, 0);
    for (events, plan, figures, steal) in warm {
        let [rust, node] = [&figures[0], &figures[1]];
        let (r, n) = (median(&rust.cpu_us), median(&node.cpu_us));
        println!(
            "\nbatches of {events} ({} blocks of {} invocations after {} warm-up; host steal {:.1} %)",
            plan.blocks,
            plan.block_size,
            plan.warmup,
            steal * 100.0
        );
        println!(
            "{:<40}{r:>10.1}{n:>12.1}  {}  {}",
            "CPU / event, median (us)",
            ratio_summary(&rust.ratios),
            verdict(median(&rust.ratios), 0.25)
        );
        println!(
            "{:<40}{:>10.1}{:>12.1}",
            "  of which kernel (us)",
            r * rust.kernel_share,
            n * node.kernel_share
        );
        println!(
            "{:<40}{:>10.0}{:>12.0}",
            "events / second, one function, median",
            median(&rust.rate),
            median(&node.rate)
        );
        println!(
            "{:<40}{:>10.0}{:>12.0}",
            "wall / invocation, median (us)",
            median(&rust.wall_us),
            median(&node.wall_us)
        );
        println!(
            "{:<40}{:>10.0}{:>12.0}",
            "wall / invocation, p99 (us)",
            pct(&rust.wall_us, 99.0),
            pct(&node.wall_us, 99.0)
        );
        println!("{:<40}{:>10}{:>12}", "threads", rust.threads, node.threads);
        println!(
            "{:<40}{:>10.1}{:>12.1}",
            "peak RSS (MB)",
            rust.peak_rss_kb as f64 / 1024.0,
            node.peak_rss_kb as f64 / 1024.0
        );
        peak = (peak.0.max(rust.peak_rss_kb), peak.1.max(node.peak_rss_kb));
        json_warm.insert(events.to_string(), json!({
            "rust_cpu_us_per_event": r, "node_cpu_us_per_event": n,
            "ratio_median": median(&rust.ratios), "ratio_q1": pct(&rust.ratios, 25.0), "ratio_q3": pct(&rust.ratios, 75.0),
            "rust_events_per_s": median(&rust.rate), "node_events_per_s": median(&node.rate),
            "rust_peak_rss_kb": rust.peak_rss_kb, "node_peak_rss_kb": node.peak_rss_kb, "steal_share": steal,
        }));
    }
    let memory = peak.0 as f64 / peak.1.max(1) as f64;
    println!(
        "\n{:<40}{:>10.1}{:>12.1}  {memory:.2}x  {}",
        "peak RSS over all batches (MB)",
        peak.0 as f64 / 1024.0,
        peak.1 as f64 / 1024.0,
        verdict(memory, 0.20)
    );
    println!(
        "(cold: {cold_runs} runs each; CPU from schedstat; the endpoint's own CPU is not counted)"
    );
    json!({"binary_bytes": size,
           "cold": {"rust_ms": r, "node_ms": n, "rust_init_ms": median(r_init), "node_init_ms": median(n_init), "runs": cold_runs},
           "warm": json_warm, "peak_rss_kb": {"rust": peak.0, "node": peak.1}})
}
