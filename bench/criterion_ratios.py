#!/usr/bin/env python3
"""Prints the ratio tables of BENCHMARKS.md from criterion's results (medians).

Usage: bench/criterion_ratios.py [target/criterion]

Reads `<group>/<function>/new/estimates.json` as written by `cargo bench` for the
jwt-authz `verify` and `authorize` benches and the events-publisher `publish` bench;
groups that were not run are skipped.
"""

from __future__ import annotations

import json
import os
import sys

ALGS = ("ES256", "RS256", "EdDSA", "HS256")


def median_ns(root: str, group: str, function: str) -> float | None:
    path = os.path.join(root, group.replace("/", "_"), function, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None


def us(ns: float) -> str:
    return f"{ns / 1e3:9.2f}"


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
    if not os.path.isdir(root):
        print(f"no criterion results in {root}: run cargo bench first", file=sys.stderr)
        return 1

    print("Verification (medians, µs): full Verifier::verify vs the raw signature check")
    print(f"{'alg':<7}{'verifier':>10}{'jsonwebtoken':>14}{'aws-lc':>9}"
          f"{'÷ jsonwebtoken':>16}{'÷ aws-lc':>10}{'overhead':>10}")
    for alg in ALGS:
        v, j, a = (median_ns(root, f"verify/{alg}", f) for f in ("verifier", "jsonwebtoken", "aws-lc"))
        if None in (v, j, a):
            continue
        print(f"{alg:<7}{us(v):>10}{us(j):>14}{us(a):>9}{v / j:>15.2f}x{v / a:>9.2f}x{us(v - a):>10}")
    repeats = [(alg, median_ns(root, f"verify/{alg}", "verifier-repeat")) for alg in ALGS]
    if any(ns is not None for _, ns in repeats):
        print()
        print("A token verified before (recent-token cache: key lookup + claim checks; medians, µs)")
        for alg, ns in repeats:
            full = median_ns(root, f"verify/{alg}", "verifier")
            if ns is not None and full is not None:
                print(f"  {alg:<7}{us(ns)}  ({ns / full:.2f}x of the full verification)")

    rows = [(f, median_ns(root, "overhead", f)) for f in
            ("extract", "header+payload", "claims", "channel-rules", "channel-parse", "request-parse")]
    if any(ns is not None for _, ns in rows):
        print()
        print("Decision steps alone (medians, µs)")
        for name, ns in rows:
            if ns is not None:
                print(f"  {name:<16}{us(ns)}")

    for alg in ALGS:
        v, d = (median_ns(root, f"authorize/{alg}", f) for f in ("verify", "subscribe-with-rules"))
        if v is not None and d is not None:
            print(f"authorize/{alg}: verify {us(v).strip()} µs, subscribe with 5 rules + answer "
                  f"{us(d).strip()} µs: +{us(d - v).strip()} µs ({d / v:.2f}x)")

    sign = median_ns(root, "request", "sign+serialize")
    if sign is not None:
        print()
        print(f"Publisher: sign + serialize one 5-event request {us(sign).strip()} µs (target ≤ 50 µs)")
        prep = median_ns(root, "request", "prepare")
        if prep is not None:
            print(f"           prepare (validate + serialize) one 5-event input {us(prep).strip()} µs")
        for name in ("10-channels-concurrency-4", "1-channel-ordered"):
            ns = median_ns(root, "publish-1000", name)
            if ns is not None:
                print(f"           1,000 events in 200 requests, {name}: {ns / 1e6:.1f} ms "
                      f"({ns / 200 / 1e3:.0f} µs per request)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
