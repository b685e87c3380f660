#!/usr/bin/env python3
"""Instruction counts per verification, with callgrind: the noise-free cross-check of the
criterion ratios (a busy 2-core machine moves timings by ±20 %; instruction counts do not
move).

Usage: bench/callgrind_ratios.py <verify bench binary built with symbols> [out dir]

For each algorithm it runs the three `verify/<alg>/*` benchmarks in criterion's
`--profile-time` mode under `valgrind --tool=callgrind` and divides the inclusive
instruction count of the measured function (`Verifier::verify`, the bench's
`jsonwebtoken_verify`, the bench's `Floor::verify`) by its number of calls. `cargo xtask
bench instructions` builds the binary (release profile, symbols kept) and calls this.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile

ALGS = ("ES256", "RS256", "EdDSA", "HS256")
MEASURED = {
    "verifier": r"Verifier::verify::\{\{closure\}\}$",
    "jsonwebtoken": r"common::jsonwebtoken_verify$",
    "aws-lc": r"common::Floor::verify$",
}


def per_call(out_file: str, pattern: str) -> float:
    """Inclusive Ir per call of the functions matching `pattern` in a callgrind file."""
    names: dict[str, str] = {}
    calls: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    callee = None
    pending = None

    def resolve(token: str) -> str | None:
        m = re.match(r"\((\d+)\)(?: (.*))?", token)
        if not m:
            return None
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1))

    with open(out_file) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("cfn="):
                callee = resolve(line[4:])
            elif line.startswith("fn="):
                resolve(line[3:])
            elif line.startswith("calls="):
                pending = int(line[6:].split()[0])
            elif pending is not None:
                parts = line.split()
                calls[callee] += pending
                inclusive[callee] += int(parts[1]) if len(parts) > 1 else 0
                pending = None
    matched = [n for n in calls if n and re.search(pattern, n)]
    total_calls = sum(calls[n] for n in matched)
    if total_calls == 0:
        raise SystemExit(f"{out_file}: no calls to {pattern}")
    return sum(inclusive[n] for n in matched) / total_calls


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="callgrind-")
    os.makedirs(out_dir, exist_ok=True)
    print("Instructions per verification (callgrind, inclusive Ir per call)")
    print(f"{'alg':<7}{'verifier':>10}{'jsonwebtoken':>14}{'aws-lc':>10}{'÷ jsonwebtoken':>16}{'÷ aws-lc':>10}")
    for alg in ALGS:
        counts = {}
        for name, pattern in MEASURED.items():
            out = os.path.join(out_dir, f"{alg}.{name}.callgrind")
            # The filter is a regex over the benchmark id; `$` keeps `verifier` alone.
            subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary,
                 "--bench", "--profile-time", "2", f"verify/{alg}/{name}$"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            counts[name] = per_call(out, pattern)
        v, j, a = counts["verifier"], counts["jsonwebtoken"], counts["aws-lc"]
        print(f"{alg:<7}{v / 1e3:>9.0f}k{j / 1e3:>13.0f}k{a / 1e3:>9.0f}k{v / j:>15.3f}x{v / a:>9.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
