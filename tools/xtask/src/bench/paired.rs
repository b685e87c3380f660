//! Warm runs side by side in alternating blocks.
//!
//! Every implementation stays up, warmed up, and is measured in short blocks, A B, B A, …:
//! on a shared VM the host's load drifts over seconds and moves whole separate runs by
//! 20–40 %, while two adjacent blocks see the same conditions. The comparison reported is
//! the median of the per-pair ratios (each block ÷ the baseline's block of the same pair),
//! with their quartiles. CPU time is the scheduler's nanosecond count of every thread.

use std::time::Instant;

use serde_json::Value;

use super::function::{CLK_TCK, Function, Invocation, steal_ticks};

/// How many invocations, in how many blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Invocations per implementation before measuring (V8 keeps optimizing for ~2,000).
    pub warmup: usize,
    /// Measured blocks per implementation.
    pub blocks: usize,
    /// Invocations per block.
    pub block_size: usize,
}

/// One implementation's warm figures.
#[derive(Debug, Default, Clone)]
pub(crate) struct Warm {
    /// CPU µs per unit (invocation or event), one figure per block.
    pub cpu_us: Vec<f64>,
    /// Units per second of wall-clock time, one figure per block (sequential invocations).
    pub rate: Vec<f64>,
    /// This block ÷ the baseline's block of the same pair (empty for the baseline).
    pub ratios: Vec<f64>,
    /// Kernel share of the CPU time (tick-sampled).
    pub kernel_share: f64,
    /// Context switches per invocation.
    pub switches: f64,
    pub threads: usize,
    /// Wall-clock µs per invocation as the Runtime API sees it.
    pub wall_us: Vec<f64>,
    pub peak_rss_kb: u64,
}

/// The payload of invocation `i` (indices never repeat within one run).
pub(crate) type Payloads<'a> = &'a dyn Fn(usize) -> Value;
/// Checks function `k`'s answer to payload `i` (spot checks during the measured blocks).
pub(crate) type Check<'a> = &'a dyn Fn(&Function, usize, &Invocation);

/// Runs `plan` over `functions` (the last one is the baseline); `units` per invocation.
/// Returns each one's figures and the host's steal time as a share of both CPUs.
pub(crate) async fn run(
    functions: &[Function],
    plan: Plan,
    units: f64,
    payload: Payloads<'_>,
    check: Check<'_>,
) -> (Vec<Warm>, f64) {
    for function in functions {
        for i in 0..plan.warmup {
            let invocation = function.invoke(&payload(i)).await;
            check(function, i, &invocation);
        }
    }
    let mut warm = vec![Warm::default(); functions.len()];
    let before: Vec<_> = functions
        .iter()
        .map(|f| (f.cpu_ticks(), f.context_switches()))
        .collect();
    let (steal_before, started) = (steal_ticks(), Instant::now());
    let mut cursor = plan.warmup;
    for block in 0..plan.blocks {
        let mut order: Vec<usize> = (0..functions.len()).collect();
        if block % 2 == 1 {
            order.reverse(); // neither always runs first
        }
        let mut block_us = vec![0.0; functions.len()];
        for k in order {
            let (function, figures) = (&functions[k], &mut warm[k]);
            let (cpu_before, wall_before) = (function.cpu_ns(), Instant::now());
            for i in 0..plan.block_size {
                let invocation = function.invoke(&payload(cursor + i)).await;
                figures.wall_us.push(invocation.wall().as_secs_f64() * 1e6);
                if i % 97 == 0 {
                    check(function, cursor + i, &invocation);
                }
            }
            let count = plan.block_size as f64 * units;
            let spent = function.cpu_ns().saturating_sub(cpu_before) as f64;
            block_us[k] = spent / count / 1e3;
            figures.cpu_us.push(block_us[k]);
            figures
                .rate
                .push(count / wall_before.elapsed().as_secs_f64());
        }
        cursor += plan.block_size;
        let baseline = block_us[functions.len() - 1];
        for k in 0..functions.len() - 1 {
            warm[k].ratios.push(block_us[k] / baseline);
        }
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let steal = steal_ticks().saturating_sub(steal_before) as f64
        / CLK_TCK
        / (started.elapsed().as_secs_f64() * cpus);
    let invocations = (plan.blocks * plan.block_size) as f64;
    for ((function, figures), ((utime, stime), switches)) in
        functions.iter().zip(&mut warm).zip(before)
    {
        let (u, s) = function.cpu_ticks();
        let (du, ds) = (u.saturating_sub(utime), s.saturating_sub(stime));
        figures.kernel_share = ds as f64 / (du + ds).max(1) as f64;
        figures.switches =
            function.context_switches().saturating_sub(switches) as f64 / invocations;
        figures.threads = function.threads();
        figures.peak_rss_kb = function.peak_rss_kb();
    }
    (warm, steal)
}
