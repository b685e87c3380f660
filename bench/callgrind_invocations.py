#!/usr/bin/env python3
"""Instructions per warm invocation of a whole function process, with callgrind.

Runs the function under valgrind's callgrind twice, under the harness's loopback Runtime
API and JWKS (lambda_api.py), for a short and a long series of sequential invocations,
and prints (long − short) ÷ (difference in invocations): init, the JWKS fetch and process
exit cancel out. Instruction counts do not depend on the host's load, so small changes
show here when CPU time on a shared VM cannot tell them apart (BENCHMARKS.md).

For each algorithm (ES256, RS256): the release authorizer with distinct tokens (each one
verified in full), with 64 repeated tokens (answered from the recent-token cache), and
the no-op lambda_runtime floor. Run through `bench/run.sh invocations`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid

from harness import Function, Implementation, Issuer, check_allowed, subscribe_event
from lambda_api import JwksServer

RULES = [{"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]}]


def instructions(impl: Implementation, events: list, count: int, check: bool, out: str) -> int:
    """Total instructions of one process that answers `count` invocations, then exits."""
    wrapped = Implementation(impl.name, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                                         *impl.argv], impl.env, impl.cwd, impl.decides)
    fn = Function(wrapped, os.path.dirname(out))
    try:
        for i in range(count):
            event, sub = events[i % len(events)]
            inv = fn.api.invoke(event, timeout=120)
            if check and i % 97 == 0:
                check_allowed(inv, sub, impl.name)
    finally:
        fn.stop()
    with open(out) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise SystemExit(f"no totals in {out}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="the release `authorizer` binary")
    ap.add_argument("--floor", required=True, help="the no-op lambda_runtime function")
    ap.add_argument("--short", type=int, default=600)
    ap.add_argument("--long", type=int, default=1800)
    args = ap.parse_args()

    issuer = Issuer()
    idp = JwksServer(issuer.jwks)
    config = {"issuers": [{"issuer": idp.issuer, "profile": "supabase", "jwksUrl": idp.jwks_url}],
              "channelRules": RULES, "cacheTtlSeconds": 300}
    rust = Implementation("rust-authorizer", [args.binary], {"AUTHORIZER_CONFIG": json.dumps(config)})
    floor = Implementation("runtime-floor", [args.floor], {}, decides=False)
    work = tempfile.mkdtemp(prefix="callgrind-invocations-")
    print(f"{'function':<42}{'alg':<7}{'instructions / invocation':>26}")
    for alg in ("ES256", "RS256"):
        subs = [str(uuid.uuid4()) for _ in range(args.long)]
        distinct = [(subscribe_event(issuer.token(idp.issuer, alg, s), s), s) for s in subs]
        cases = [("authorizer, distinct tokens", rust, distinct),
                 ("authorizer, 64 repeated tokens", rust, distinct[:64]),
                 ("floor: no-op lambda_runtime", floor, distinct[:64])]
        for label, impl, events in cases:
            counts = [instructions(impl, events, n, impl.decides, os.path.join(work, f"{impl.name}.{n}.out"))
                      for n in (args.short, args.long)]
            per = (counts[1] - counts[0]) / (args.long - args.short)
            print(f"{label:<42}{alg:<7}{per / 1e3:>24.1f} k", flush=True)
    idp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
