#!/usr/bin/env python3
"""Whole-process benchmark: the Rust `authorizer` against an aws-jwt-verify authorizer.

Both functions run as real processes under the same loopback Lambda Runtime API
(lambda_api.py), verify the same Supabase-shaped ES256 and RS256 tokens against the same
loopback JWKS, and answer the same `EVENT_SUBSCRIBE` requests (channel rule
`/users/{sub}/*`). Measured per implementation and algorithm, in one run, interleaved:

- cold start: process spawn → first answer (init, JWKS fetch and first verification
  included), and spawn → first `/next` poll (init alone);
- warm cost: the process's own CPU time per invocation over thousands of sequential
  invocations, and the median / p99 wall-clock of one invocation as seen by the Runtime
  API (dominated by the loopback round trips, shown for reference only). Both processes
  stay up side by side and are measured in short alternating blocks (A B, B A, ...): on a
  shared VM the host's load (steal time) drifts over seconds and moved whole separate runs
  by 20-40 %, while two adjacent blocks see the same conditions, so the ratio reported is
  the median of the per-pair ratios. CPU time is the scheduler's nanosecond run time of
  every thread (/proc/<pid>/task/*/schedstat); the user/kernel split comes from
  /proc/<pid>/stat (tick-sampled). Two scenarios: "distinct" (no token is ever presented
  twice: every invocation verifies a signature, like for like) and "repeated" (64 tokens
  over and over, as AppSync sends under channel rules, which the Rust function answers
  from its recent-token cache);
- with --floor, a do-nothing lambda_runtime function in the same blocks: the cost of the
  Runtime API protocol itself on this machine, below which no function on lambda_runtime
  can go;
- peak RSS: VmHWM from /proc/<pid>/status at the end of the warm run.

Linux only (reads /proc). Run through bench/run.sh, which builds and installs everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import jwt  # PyJWT
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from lambda_api import JwksServer, RuntimeApi

CLK_TCK = os.sysconf("SC_CLK_TCK")
ALGS = ("ES256", "RS256")
# "distinct": every warm invocation presents a token never seen before, so every one is
# verified in full (the like-for-like comparison: aws-jwt-verify caches no results).
# "repeated": a set of tokens presented again and again, as AppSync does under channel
# rules (connect, then every subscribe and publish of a connection with one token): the
# Rust function answers them from its recent-token cache.
SCENARIOS = ("distinct", "repeated")
REPEATED_TOKENS = 64  # rotated in the "repeated" scenario (well under the default cache of 512)


# ---------------------------------------------------------------- tokens and events


class Issuer:
    """Signing keys, their JWKS, and Supabase-shaped tokens."""

    def __init__(self):
        self.keys = {
            "ES256": ("es", ec.generate_private_key(ec.SECP256R1())),
            "RS256": ("rs", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        }
        self.jwks = {"keys": []}
        for alg, (kid, key) in self.keys.items():
            algo = jwt.get_algorithm_by_name(alg)
            jwk = algo.to_jwk(key.public_key(), as_dict=True)
            jwk.update({"kid": kid, "alg": alg, "use": "sig"})
            self.jwks["keys"].append(jwk)

    def token(self, iss: str, alg: str, sub: str, **overrides) -> str:
        kid, key = self.keys[alg]
        now = int(time.time())
        claims = {
            "iss": iss, "sub": sub, "aud": "authenticated", "exp": now + 3600, "iat": now - 60,
            "email": "alice@example.com", "phone": "",
            "app_metadata": {"provider": "email", "providers": ["email"], "org_id": "acme"},
            "user_metadata": {"email": "alice@example.com", "email_verified": True},
            "role": "authenticated", "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now - 60}],
            "session_id": str(uuid.uuid4()), "is_anonymous": False,
        }
        claims.update(overrides)
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def subscribe_event(token: str, sub: str) -> dict:
    return {
        "authorizationToken": token,
        "requestContext": {
            "apiId": "q4xz7ehpzbgvdmhkmx5wzmorsu", "accountId": "111122223333",
            "requestId": str(uuid.uuid4()), "operation": "EVENT_SUBSCRIBE",
            "channelNamespaceName": "users", "channel": f"/users/{sub}/inbox",
        },
        "requestHeaders": {
            "host": "q4xz7ehpzbgvdmhkmx5wzmorsu.appsync-realtime-api.us-east-1.amazonaws.com",
            "origin": "http://localhost:3000",
            "user-agent": "aws-amplify/6.15.2 api/1 framework/2",
        },
    }


# ---------------------------------------------------------------- processes


@dataclass
class Implementation:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None
    decides: bool = True  # False for the floor, which allows everything without looking


def lambda_env(api: RuntimeApi, name: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TZ": "UTC",
    }


class Function:
    """One function process under its own Runtime API; logs go to a file, not a pipe."""

    pin: set[int] | None = None  # CPUs for function processes (--pin); None: the scheduler decides

    def __init__(self, impl: Implementation, log_dir: str):
        self.api = RuntimeApi()
        env = lambda_env(self.api, impl.name) | impl.env
        self.log = open(os.path.join(log_dir, f"{impl.name}.log"), "ab")
        self.spawned_at = time.perf_counter()
        pin = Function.pin
        self.proc = subprocess.Popen(impl.argv, env=env, cwd=impl.cwd, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=(lambda: os.sched_setaffinity(0, pin)) if pin else None)

    def cpu_ns(self) -> int:
        """Nanoseconds on a CPU, summed over the live threads (the scheduler's own count)."""
        total = 0
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
            except FileNotFoundError:  # the thread exited meanwhile
                pass
        return total

    def cpu_seconds(self) -> tuple[float, float]:
        """(utime, stime) of the whole thread group, in seconds (1/CLK_TCK resolution)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK  # fields 14 and 15 of stat

    def context_switches(self) -> int:
        """Voluntary + involuntary context switches of the live threads."""
        total = 0
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{task}/status") as f:
                    total += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
            except FileNotFoundError:  # the thread exited meanwhile
                pass
        return total

    def status_kb(self, key: str) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        raise KeyError(key)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.api.close()
        self.log.close()


def check_allowed(inv, sub: str, who: str):
    answer = inv.answer if inv.kind == "response" else None
    if not (isinstance(answer, dict) and answer.get("isAuthorized") is True
            and answer.get("handlerContext", {}).get("sub") == sub and answer.get("ttlOverride") == 0):
        raise SystemExit(f"{who}: expected an allow for {sub}, got {inv.kind}: {inv.answer}")


# ---------------------------------------------------------------- measurements


@dataclass
class Results:
    cold_ms: list[float] = field(default_factory=list)
    init_ms: list[float] = field(default_factory=list)
    warm_cpu_us: list[float] = field(default_factory=list)  # one figure per block
    ratios: list[float] = field(default_factory=list)  # this block ÷ the paired aws-jwt-verify block
    warm_sys_share: float = 0.0  # kernel share of the warm CPU time (tick-sampled)
    switches: float = 0.0
    threads: int = 0
    wall_us: list[float] = field(default_factory=list)
    hwm_kb: int = 0
    first_answer: dict | None = None


def cold_start(impl: Implementation, event: dict, sub: str, log_dir: str, res: Results):
    fn = Function(impl, log_dir)
    try:
        # Queued before the process exists, so `/next` answers at once: spawn → answer is
        # init + JWKS fetch + first verification + the runtime's round trips.
        inv = fn.api.submit(event)
        if not inv.done.wait(30):
            raise SystemExit(f"{impl.name}: no answer within 30 s (init error: {fn.api.init_error})")
        check_allowed(inv, sub, impl.name)
        res.cold_ms.append((inv.answered_at - fn.spawned_at) * 1e3)
        res.init_ms.append((fn.api.first_poll_at - fn.spawned_at) * 1e3)
        res.first_answer = inv.answer
    finally:
        fn.stop()


def steal_ticks() -> int:
    """Host steal time of the whole VM so far (/proc/stat), in 1/CLK_TCK s."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) if len(fields) > 8 else 0


def paired_warm(impls: list[Implementation], events: list[tuple[dict, str]], args,
                log_dir: str, results: list[Results]) -> float:
    """Warm runs of every implementation side by side, in alternating blocks.

    Returns the host's steal time during the measured blocks, as a share of the elapsed
    time of both CPUs."""
    fns = [Function(impl, log_dir) for impl in impls]
    try:
        cursor = args.warmup  # measured blocks never reuse a warm-up token
        for fn, impl in zip(fns, impls):
            for i in range(args.warmup):
                event, sub = events[i % len(events)]
                inv = fn.api.invoke(event)
                if impl.decides:
                    check_allowed(inv, sub, impl.name)
        before = [(fn.cpu_seconds(), fn.context_switches()) for fn in fns]
        steal_before, started = steal_ticks(), time.perf_counter()
        for block in range(args.blocks):
            order = list(range(len(fns)))
            if block % 2:
                order.reverse()  # A B, B A, ...: neither always runs first
            block_us = [0.0] * len(fns)
            for k in order:
                fn, res = fns[k], results[k]
                cpu_before = fn.cpu_ns()
                for i in range(args.block_size):
                    event, sub = events[(cursor + i) % len(events)]
                    inv = fn.api.invoke(event)
                    res.wall_us.append((inv.answered_at - inv.queued_at) * 1e6)
                    if i % 97 == 0 and impls[k].decides:  # spot-checks add no work to every iteration
                        check_allowed(inv, sub, impls[k].name)
                spent = fn.cpu_ns() - cpu_before
                block_us[k] = spent / args.block_size / 1e3
                res.warm_cpu_us.append(block_us[k])
            cursor += args.block_size
            for k in range(len(fns) - 1):  # the last implementation is the baseline
                results[k].ratios.append(block_us[k] / block_us[-1])
        elapsed = time.perf_counter() - started
        steal = (steal_ticks() - steal_before) / CLK_TCK / (elapsed * (os.cpu_count() or 1))
        count = args.blocks * args.block_size
        for fn, res, ((utime, stime), switches) in zip(fns, results, before):
            u, k = fn.cpu_seconds()
            res.warm_sys_share = (k - stime) / max((u - utime) + (k - stime), 1e-9)
            res.switches = (fn.context_switches() - switches) / count
            res.threads = len(os.listdir(f"/proc/{fn.proc.pid}/task"))
            res.hwm_kb = max(res.hwm_kb, fn.status_kb("VmHWM"))
        return steal
    finally:
        for fn in fns:
            fn.stop()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="the release `authorizer` binary")
    ap.add_argument("--floor", help="also measure this do-nothing lambda_runtime function (the protocol's cost)")
    ap.add_argument("--node-dir", required=True, help="folder with authorizer.mjs and node_modules/aws-jwt-verify")
    ap.add_argument("--node", default="node")
    ap.add_argument("--cold-runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3000,
                    help="invocations before measuring (V8 keeps optimizing for about 2,000)")
    ap.add_argument("--blocks", type=int, default=40,
                    help="measured blocks per implementation and algorithm, alternating A B, B A")
    ap.add_argument("--block-size", type=int, default=250, help="invocations per block")
    ap.add_argument("--pin", action="store_true",
                    help="run the harness on CPU 0 and every function process on CPU 1 (an experiment: "
                         "the default leaves placement to the scheduler, as Lambda does)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    if args.pin:
        os.sched_setaffinity(0, {0})
        Function.pin = {1}

    issuer = Issuer()
    idp = JwksServer(issuer.jwks)
    log_dir = tempfile.mkdtemp(prefix="authorizer-bench-logs-")
    rust_config = {
        "issuers": [{"issuer": idp.issuer, "profile": "supabase", "jwksUrl": idp.jwks_url}],
        "channelRules": [{"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]}],
        "cacheTtlSeconds": 300,
    }
    impls = [
        Implementation("rust-authorizer", [args.binary], {"AUTHORIZER_CONFIG": json.dumps(rust_config)}),
        Implementation("aws-jwt-verify", [args.node, "authorizer.mjs"],
                       {"JWT_ISSUER": idp.issuer, "JWT_JWKS_URL": idp.jwks_url}, cwd=args.node_dir),
    ]
    # Warm runs: the floor (when given) side by side with the other two, baseline last.
    floor = [Implementation("runtime-floor", [args.floor], {}, decides=False)] if args.floor else []
    warm_impls = [impls[0], *floor, impls[1]]
    cold: dict[tuple[str, str], Results] = {(i.name, a): Results() for i in impls for a in ALGS}
    warm: dict[tuple[str, str, str], Results] = {
        (i.name, a, sc): Results() for i in warm_impls for a in ALGS for sc in SCENARIOS}
    distinct_count = args.warmup + args.blocks * args.block_size
    print(f"minting {distinct_count} distinct tokens per algorithm", file=sys.stderr)
    events: dict[tuple[str, str], list] = {}
    for alg in ALGS:
        subs = [str(uuid.uuid4()) for _ in range(distinct_count)]
        events[(alg, "distinct")] = [(subscribe_event(issuer.token(idp.issuer, alg, s), s), s) for s in subs]
        events[(alg, "repeated")] = events[(alg, "distinct")][:REPEATED_TOKENS]

    # Both must deny a forged token before anything is measured.
    forged_sub = str(uuid.uuid4())
    forged = issuer.token(idp.issuer, "ES256", forged_sub)
    forged = forged.rsplit(".", 1)[0] + "." + issuer.token(idp.issuer, "ES256", "x").rsplit(".", 1)[1]
    for impl in impls:
        fn = Function(impl, log_dir)
        try:
            answer = fn.api.invoke(subscribe_event(forged, forged_sub)).answer
            if not isinstance(answer, dict) or answer.get("isAuthorized") is not False:
                raise SystemExit(f"{impl.name}: a forged token was not denied: {answer}")
        finally:
            fn.stop()

    print(f"cold starts: {args.cold_runs} per implementation and algorithm, interleaved", file=sys.stderr)
    for run in range(args.cold_runs):
        for alg in ALGS:
            for impl in impls:
                event, sub = events[(alg, "distinct")][run]
                cold_start(impl, event, sub, log_dir, cold[(impl.name, alg)])
    for alg in ALGS:
        a, b = (cold[(i.name, alg)].first_answer for i in impls)
        if a.keys() != b.keys() or a["handlerContext"].keys() != b["handlerContext"].keys():
            raise SystemExit(f"{alg}: the two implementations answer differently: {a} vs {b}")

    print(f"warm: {args.warmup} warm-up invocations each, then {args.blocks} alternating blocks of "
          f"{args.block_size} sequential invocations per implementation", file=sys.stderr)
    steal = {}
    for scenario in SCENARIOS:
        for alg in ALGS:
            steal[(alg, scenario)] = paired_warm(
                warm_impls, events[(alg, scenario)], args, log_dir,
                [warm[(i.name, alg, scenario)] for i in warm_impls])

    size = os.path.getsize(args.binary)
    report(impls, cold, warm, size, steal, args, bool(floor))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "machine": platform.platform(), "binary_bytes": size, "jwks_fetches": idp.hits,
                "cold": {f"{n}/{a}": {
                    "cold_ms_median": statistics.median(r.cold_ms), "init_ms_median": statistics.median(r.init_ms),
                } for (n, a), r in cold.items()},
                "warm": {f"{n}/{a}/{sc}": {
                    "warm_cpu_us": statistics.median(r.warm_cpu_us), "warm_cpu_us_blocks": r.warm_cpu_us,
                    "paired_ratios": r.ratios, "warm_kernel_share": r.warm_sys_share,
                    "context_switches": r.switches, "threads": r.threads,
                    "wall_us_median": statistics.median(r.wall_us),
                    "wall_us_p99": pct(r.wall_us, 99), "peak_rss_kb": r.hwm_kb,
                } for (n, a, sc), r in warm.items()},
                "steal_share": {f"{a}/{sc}": v for (a, sc), v in steal.items()},
            }, f, indent=2)
    idp.close()
    return 0


def quartiles(values: list[float]) -> tuple[float, float]:
    return pct(values, 25), pct(values, 75)


def report(impls, cold, warm, size, steal, args, with_floor):
    rust, node = impls[0].name, impls[1].name
    print()
    print(f"binary size (x86_64, stripped): {size / 1e6:.2f} MB ({size} bytes)")
    header = f"{'metric':<36}{'alg':<7}{'rust':>12}{'aws-jwt-verify':>16}{'ratio':>9}  target"

    def row(name, alg, rv, nv, target="", ratio=None):
        if ratio is None:  # a short run can see 0 ticks of kernel time
            ratio = rv / nv if nv else float("nan")
        print(f"{name:<36}{alg:<7}{rv:>12.1f}{nv:>16.1f}{ratio:>8.2f}x  {target}")

    print()
    print("cold start (spawn -> first answer: init, JWKS fetch, first verification)")
    print(header)
    print("-" * len(header))
    for alg in ALGS:
        r, n = cold[(rust, alg)], cold[(node, alg)]
        row("cold start, median (ms)", alg, statistics.median(r.cold_ms), statistics.median(n.cold_ms), "<= 0.10x")
        row("  init only, median (ms)", alg, statistics.median(r.init_ms), statistics.median(n.init_ms))
    for scenario in SCENARIOS:
        print()
        print({"distinct": "warm, distinct tokens (every invocation verifies a signature: like for like)",
               "repeated": f"warm, {REPEATED_TOKENS} tokens repeated (channel-rule traffic; "
                           "the Rust function's recent-token cache answers)"}[scenario])
        print(header)
        print("-" * len(header))
        for alg in ALGS:
            r, n = warm[(rust, alg, scenario)], warm[(node, alg, scenario)]
            cpu_r, cpu_n = statistics.median(r.warm_cpu_us), statistics.median(n.warm_cpu_us)
            row("warm CPU / invocation, median (us)", alg, cpu_r, cpu_n,
                "<= 0.30x (median of paired blocks)", statistics.median(r.ratios))
            row("  of which kernel (us)", alg, cpu_r * r.warm_sys_share, cpu_n * n.warm_sys_share)
            row("  context switches / invocation", alg, r.switches, n.switches)
            row("  threads", alg, r.threads, n.threads)
            row("wall / invocation, median (us)", alg, statistics.median(r.wall_us), statistics.median(n.wall_us))
            row("wall / invocation, p99 (us)", alg, pct(r.wall_us, 99), pct(n.wall_us, 99))
            row("peak RSS (MB)", alg, r.hwm_kb / 1024, n.hwm_kb / 1024, "rust <= 24 MB")
            q1, q3 = quartiles(r.ratios)
            print(f"  paired-block ratios: quartiles {q1:.2f}x-{q3:.2f}x, range {min(r.ratios):.2f}x-"
                  f"{max(r.ratios):.2f}x over {len(r.ratios)} pairs; "
                  f"host steal {steal[(alg, scenario)] * 100:.1f} % of CPU time")
            if with_floor:
                fl = warm[("runtime-floor", alg, scenario)]
                cpu_f = statistics.median(fl.warm_cpu_us)
                row("  floor: no-op lambda_runtime (us)", alg, cpu_f, cpu_n,
                    "the least any lambda_runtime function costs here", statistics.median(fl.ratios))
                row("  ... of which kernel (us)", alg, cpu_f * fl.warm_sys_share, cpu_n * n.warm_sys_share)
    print()
    print(f"(cold: {args.cold_runs} runs each; warm: {args.blocks} alternating blocks of {args.block_size} "
          f"invocations each after {args.warmup} warm-up; CPU time from schedstat, in ns)")


if __name__ == "__main__":
    sys.exit(main())
