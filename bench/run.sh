#!/usr/bin/env bash
# Reruns the benchmarks of BENCHMARKS.md with one command.
#
#   bench/run.sh            whole process: the release `authorizer` against an
#                           aws-jwt-verify authorizer under the same Runtime API harness
#   bench/run.sh micro      criterion benches (jwt-authz verify/authorize, events-publisher
#                           publish) and the ratio table
#   bench/run.sh all        both
#   bench/run.sh instructions
#                           instruction counts per verification with callgrind (noise-free
#                           cross-check of the criterion ratios; builds the verify bench
#                           with symbols into target/bench/symbols, needs valgrind)
#   bench/run.sh invocations
#                           instruction counts per warm invocation of the whole release
#                           function (distinct and repeated tokens) and of the no-op
#                           lambda_runtime floor, with callgrind under the harness
#
# Extra arguments after the mode go to bench/harness.py (e.g. --invocations 20000).
# Needs: cargo, python3 (with venv), node ≥ 20 and npm. Installs PyJWT + cryptography into
# target/bench/venv and aws-jwt-verify into a temporary folder removed on exit; nothing is
# written outside target/ and that folder. Linux only (the harness reads /proc).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK="$ROOT/target/bench"
AWS_JWT_VERIFY_VERSION=5.2.1
MODE=${1:-process}
[ $# -gt 0 ] && shift

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

busy_check() {
  if pgrep -x rustc >/dev/null 2>&1 || pgrep -x cargo-clippy >/dev/null 2>&1; then
    say "warning: other Rust builds are running; timings will be noisy (rerun when quiet)"
  fi
}

machine() {
  say "machine: $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
}

run_micro() {
  cd "$ROOT"
  busy_check
  say "criterion: jwt-authz verify + authorize, events-publisher publish"
  cargo bench -p jwt-authz --bench verify --bench authorize
  cargo bench -p events-publisher --bench publish
  python3 "$ROOT/bench/criterion_ratios.py" "$ROOT/target/criterion"
}

run_instructions() {
  cd "$ROOT"
  command -v valgrind >/dev/null || die "valgrind is required (apt-get install valgrind)"
  say "building the verify bench with symbols (release profile, strip = none)"
  CARGO_PROFILE_BENCH_STRIP=none CARGO_PROFILE_BENCH_DEBUG=line-tables-only CARGO_TARGET_DIR="$WORK/symbols" \
    cargo bench -p jwt-authz --bench verify --no-run
  binary=$(ls -t "$WORK"/symbols/release/deps/verify-* | grep -v '\.d$' | head -1)
  python3 "$ROOT/bench/callgrind_ratios.py" "$binary" "$WORK/callgrind"
}

bench_venv() {
  mkdir -p "$WORK"
  if [ ! -x "$WORK/venv/bin/python" ]; then
    say "creating target/bench/venv"
    python3 -m venv "$WORK/venv"
  fi
  stamp="$WORK/venv/.installed-$(cksum <"$ROOT/bench/requirements.txt" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ]; then
    say "installing $(grep -v '^#' "$ROOT/bench/requirements.txt" | tr '\n' ' ')"
    "$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/bench/requirements.txt"
    touch "$stamp"
  fi
}

build_functions() {
  say "building the release authorizer and the runtime floor (functions/authorizer/examples/runtime_floor.rs)"
  cargo build --release -p authorizer --bin authorizer --example runtime_floor
}

run_invocations() {
  cd "$ROOT"
  command -v valgrind >/dev/null || die "valgrind is required (apt-get install valgrind)"
  bench_venv
  build_functions
  "$WORK/venv/bin/python" "$ROOT/bench/callgrind_invocations.py" \
    --binary "$ROOT/target/release/authorizer" --floor "$ROOT/target/release/examples/runtime_floor" "$@"
}

run_process() {
  cd "$ROOT"
  command -v node >/dev/null || die "node (≥ 20) is required for the aws-jwt-verify baseline"
  command -v npm >/dev/null || die "npm is required to install aws-jwt-verify"
  [ -r /proc/self/stat ] || die "the harness reads /proc: Linux only"
  bench_venv

  NODE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/aws-jwt-verify-bench.XXXXXX")
  trap 'rm -rf "$NODE_DIR"' EXIT
  say "installing aws-jwt-verify@$AWS_JWT_VERIFY_VERSION into $NODE_DIR (temporary)"
  cp "$ROOT/bench/node/authorizer.mjs" "$NODE_DIR/"
  printf '{"name":"authorizer-bench","private":true,"type":"module"}\n' >"$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund "aws-jwt-verify@$AWS_JWT_VERIFY_VERSION" >/dev/null)

  build_functions
  # arm64 needs the rustup target and a cross linker: cargo lambda brings one (zig).
  if rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux' \
    && command -v cargo-lambda >/dev/null; then
    say "building arm64 with cargo lambda (zig) for the size figure"
    cargo lambda build --release --arm64 --bin authorizer \
      && say "arm64 binary: $(stat -c %s target/lambda/authorizer/bootstrap) bytes (target/lambda/authorizer/bootstrap)"
  else
    say "arm64 size not measured: needs the aarch64-unknown-linux-gnu rustup target and cargo-lambda"
  fi

  busy_check
  machine
  say "node $(node --version); aws-jwt-verify $AWS_JWT_VERIFY_VERSION"
  "$WORK/venv/bin/python" "$ROOT/bench/harness.py" \
    --binary "$ROOT/target/release/authorizer" --floor "$ROOT/target/release/examples/runtime_floor" \
    --node-dir "$NODE_DIR" \
    --json "$WORK/process.json" "$@"
}

case "$MODE" in
  process) run_process "$@" ;;
  micro) run_micro ;;
  all) run_micro; run_process "$@" ;;
  instructions) run_instructions ;;
  invocations) run_invocations "$@" ;;
  *) die "unknown mode $MODE (process, micro, all, instructions or invocations)" ;;
esac
