//! `cargo xtask bench` as BENCHMARKS.md shows it: the smoke command it gives is run as
//! written (debug builds, a few invocations: the figures mean nothing, the plumbing is
//! what is checked — both publishers really publish to local-events with verified
//! signatures, both authorizers allow and deny), and every other `cargo xtask bench …`
//! line names a benchmark the command knows. Needs node and npm, like the benchmark.

use std::process::Command;

use serde_json::Value;
use testkit::binaries::workspace_root;

/// The `cargo xtask bench …` lines of BENCHMARKS.md.
fn documented() -> Vec<String> {
    let text =
        std::fs::read_to_string(workspace_root().join("BENCHMARKS.md")).expect("BENCHMARKS.md");
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("cargo xtask bench "))
        .map(str::to_owned)
        .collect();
    assert!(
        lines.len() >= 3,
        "BENCHMARKS.md shows how to rerun: {lines:?}"
    );
    lines
}

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("xtask runs")
}

#[test]
fn every_documented_benchmark_exists() {
    let help = xtask(&["bench", "help"]);
    assert!(help.status.success());
    let usage = String::from_utf8_lossy(&help.stderr).into_owned();
    for line in documented() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let benchmark = words[3];
        assert!(
            usage.contains(&format!("\n  {benchmark} ")),
            "{line}: `{benchmark}` is not a benchmark of `cargo xtask bench`:\n{usage}"
        );
        for option in words[4..].iter().filter(|w| w.starts_with("--")) {
            assert!(usage.contains(option), "{line}: unknown option {option}");
        }
    }
    let unknown = xtask(&["bench", "authorizer", "--no-such-option"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_documented_smoke_run_measures_both_comparisons() {
    let smoke = documented()
        .into_iter()
        .find(|l| l.ends_with("--quick"))
        .expect("BENCHMARKS.md shows a --quick smoke run");
    let args: Vec<&str> = smoke.split_whitespace().skip(2).collect();
    let out = xtask(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{smoke} failed:\n{stderr}\n{stdout}");
    let figures = |name: &str| -> Value {
        let path = workspace_root().join(format!("target/bench/{name}.json"));
        serde_json::from_str(&std::fs::read_to_string(&path).expect("figures written"))
            .expect("figures are JSON")
    };
    let authorizer = figures("authorizer");
    assert_eq!(authorizer["quick"], true);
    for key in [
        "distinct/ES256",
        "distinct/RS256",
        "repeated/ES256",
        "repeated/RS256",
    ] {
        let warm = &authorizer["authorizer"]["warm"][key];
        for field in ["rust_cpu_us", "node_cpu_us", "floor_cpu_us", "ratio_median"] {
            assert!(
                warm[field].as_f64().is_some_and(|v| v > 0.0),
                "{key}.{field}: {warm}"
            );
        }
    }
    let publisher = figures("publisher");
    assert!(
        publisher["publisher"]["cold"]["node_ms"]
            .as_f64()
            .is_some_and(|v| v > 0.0)
    );
    for batch in ["1", "5", "100"] {
        let warm = &publisher["publisher"]["warm"][batch];
        for field in [
            "rust_cpu_us_per_event",
            "node_cpu_us_per_event",
            "rust_events_per_s",
            "node_events_per_s",
        ] {
            assert!(
                warm[field].as_f64().is_some_and(|v| v > 0.0),
                "batch {batch} {field}: {warm}"
            );
        }
    }
    assert!(stdout.contains("cold start, median (ms)"), "{stdout}");
}
