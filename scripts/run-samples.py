#!/usr/bin/env python3
"""Invoke every sample in events/<function>/ through `cargo lambda invoke` and compare.

Each events/<function>/<name>.json is sent to <function> (the directory name is the
binary name) running under `cargo lambda watch`. When <name>.expected.json exists, the
answer must equal it exactly: same keys, same values, same JSON types (true is not 1).

Modes:
  table  print a readable table (the dev loop); exit 0 unless nothing could be invoked
  check  print the same table; exit 1 on any mismatch or failed invocation

Started by scripts/dev.sh and scripts/check-samples.sh, which start the functions first.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
INVOKE_TIMEOUT_S = 180  # the first invocation may still compile under cargo lambda watch


@dataclass
class Result:
    sample: str
    answer: object | None
    expected: object | None
    error: str | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        if self.expected is None:
            return "no expected"
        return "match" if strict_equal(self.answer, self.expected) else "DIFFERS"

    @property
    def ok(self) -> bool:
        return self.status in ("match", "no expected")


def strict_equal(a: object, b: object) -> bool:
    """JSON equality where the types must match too (Python has True == 1 and 1 == 1.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return a == b


def samples() -> list[tuple[str, Path]]:
    """(function, sample path) for every sample, authorizer first, in name order."""
    found = []
    for directory in sorted(p for p in EVENTS.iterdir() if p.is_dir()):
        for path in sorted(directory.glob("*.json")):
            if not path.name.endswith(".expected.json"):
                found.append((directory.name, path))
    return found


def invoke(function: str, path: Path, port: int) -> tuple[object | None, str | None]:
    command = [
        "cargo", "lambda", "invoke", function,
        "--data-file", str(path),
        "--invoke-address", "127.0.0.1", "--invoke-port", str(port),
        "--output-format", "json",
    ]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=INVOKE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"no answer within {INVOKE_TIMEOUT_S}s"
    if done.returncode != 0:
        return None, invoke_error(done.stderr + done.stdout) or f"cargo lambda invoke exited with {done.returncode}"
    try:
        return json.loads(done.stdout), None
    except json.JSONDecodeError:
        return None, f"answer is not JSON: {done.stdout.strip()[:200]}"


def invoke_error(output: str) -> str:
    """The function's error from cargo lambda's report, without its boilerplate."""
    noise = ("Was this behavior unexpected?", "Start a thread in")
    lines = []
    for line in output.splitlines():
        line = line.strip().lstrip("×│").strip()
        if line and not line.startswith(noise):
            lines.append(line)
    return " ".join(lines)


def summarize(answer: object) -> str:
    """A one-line view of an answer; authorizer answers get a friendlier form."""
    if isinstance(answer, dict) and "isAuthorized" in answer:
        verdict = "allow" if answer["isAuthorized"] is True else "deny"
        parts = [verdict, f"ttl={answer.get('ttlOverride', '-')}"]
        for key in ("handlerContext", "resolverContext"):
            if isinstance(answer.get(key), dict):
                parts.append(f"{key}{{{','.join(answer[key])}}}")
        if answer.get("deniedFields"):
            parts.append(f"deniedFields={answer['deniedFields']}")
        return " ".join(parts)
    text = json.dumps(answer, separators=(",", ":"))
    return text if len(text) <= 70 else text[:67] + "..."


def received_events(port: int) -> list[dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_local/events?limit=1000", timeout=5) as r:
            return json.load(r)["events"]
    except (OSError, ValueError, KeyError):
        return []


def colour(text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m" if sys.stdout.isatty() else text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["table", "check"], default="table")
    parser.add_argument("--lambda-port", type=int, required=True)
    parser.add_argument("--events-port", type=int, required=True)
    args = parser.parse_args()

    if shutil.which("cargo") is None:
        print("cargo is not on PATH", file=sys.stderr)
        return 1
    todo = samples()
    if args.mode == "check":
        todo = [(f, p) for f, p in todo if p.with_name(p.stem + ".expected.json").exists()]
    if not todo:
        print("no samples found in events/", file=sys.stderr)
        return 1
    before = len(received_events(args.events_port))

    results = []
    for function, path in todo:
        expected_path = path.with_name(path.stem + ".expected.json")
        expected = json.loads(expected_path.read_text()) if expected_path.exists() else None
        answer, error = invoke(function, path, args.lambda_port)
        results.append(Result(f"{function}/{path.stem}", answer, expected, error))

    width = max(len(r.sample) for r in results)
    answer_width = max(len(summarize(r.answer)) if r.error is None else len(r.error) for r in results)
    answer_width = min(answer_width, 100)
    print(f"\n{'sample':<{width}}  {'answer':<{answer_width}}  result")
    print(f"{'-' * width}  {'-' * answer_width}  -----------")
    for r in results:
        shown = r.error if r.error is not None else summarize(r.answer)
        code = {"match": "32", "no expected": "33"}.get(r.status, "31")
        print(f"{r.sample:<{width}}  {shown[:answer_width]:<{answer_width}}  {colour(r.status, code)}")

    for r in results:
        if r.status == "DIFFERS":
            print(f"\n{r.sample}: answer differs from {r.sample}.expected.json")
            print("  expected:", json.dumps(r.expected, sort_keys=True))
            print("  answer:  ", json.dumps(r.answer, sort_keys=True))
        elif r.status == "error":
            print(f"\n{r.sample}: invocation failed: {r.error}")

    received = received_events(args.events_port)[before:]
    channels = sorted({e["channel"] for e in received})
    print(f"\nlocal-events received {len(received)} event(s) from these invocations"
          + (f" on {', '.join(channels)}" if channels else ""))

    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    print(f"samples: {passed} passed, {failed} failed")
    if args.mode == "check":
        return 0 if failed == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
