#!/usr/bin/env bash
# Every test (README command 2; .ci/run calls it):
#   formatting, clippy -D warnings, unit + integration + end-to-end tests (including the
#   real aws-amplify client against local-events, tests/e2e/tests/amplify.rs, and the
#   Next.js example in headless Chromium, tests/e2e/tests/browser.rs), the committed
#   generated files are current (`cargo xtask samples --check`, `cargo xtask docs --check`),
#   every sample answered exactly as expected under `cargo lambda watch`, the stream
#   triggers fed by moto's DynamoDB Streams (tests/e2e/tests/streams.rs), cfn-lint +
#   `sam validate --lint`, `sam build` (x86_64), and every
#   sample answered exactly under `sam local invoke` (tests/e2e/tests/sam_local.rs).
# Runs every step even after a failure, prints a summary with timings, ends with the line
# `N passed, N failed` and exits non-zero if any step failed.
#
# Tools (cargo-lambda, SAM CLI, cfn-lint, moto) are installed into .dev/venv on
# first use, the real aws-amplify client the end-to-end tests drive into
# tests/e2e/amplify/node_modules (`npm ci`, once per package-lock.json; needs Node >= 20.14),
# and examples/nextjs is installed and built (`npm ci`, `next build`, once per version).
# The browser test needs Debian's chromium and libnss3-tools (.ci/run installs them).
#
# SKIP_SAM_BUILD=1 skips the (slowest) sam build step and the sam local invoke step that
# uses it. The sam build (samconfig.toml's x86_64 environment) goes to .dev/sam-build,
# never to .aws-sam/, so it can't be deployed by accident; it builds debug binaries
# (SAM_BUILD_MODE=debug) because it checks the template and build wiring, not the
# optimizer; set TEST_SAM_BUILD_MODE=release for a release build (SAM_BUILD_MODE unset:
# SAM accepts no other value). The sam local invoke step starts its own dockerd, so it
# needs root and Debian's docker.io (.ci/run installs it); it is skipped when not root,
# or with SKIP_SAM_LOCAL=1.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

NAMES=() RESULTS=() TIMES=()
PASSED=0 FAILED=0 SKIPPED=0

# step NAME COMMAND...: runs COMMAND, records pass/fail and the time it took.
step() {
  local name=$1 start end status
  shift
  printf '\n%s==> %s%s\n' "$BOLD" "$name" "$RESET"
  start=$(date +%s)
  "$@"
  status=$?
  end=$(date +%s)
  NAMES+=("$name")
  TIMES+=("$((end - start))s")
  if [ "$status" -eq 0 ]; then
    RESULTS+=("${GREEN}pass${RESET}")
    PASSED=$((PASSED + 1))
  else
    RESULTS+=("${RED}FAIL${RESET} (exit $status)")
    FAILED=$((FAILED + 1))
  fi
}

skip() {
  NAMES+=("$1")
  TIMES+=("-")
  RESULTS+=("${YELLOW}skipped${RESET}: $2")
  SKIPPED=$((SKIPPED + 1))
}

install_tools() { (ensure_venv test) && (ensure_node_modules) && (ensure_example); }
need() {
  command -v "$1" >/dev/null || { printf 'error: %s is not installed (the "install tools" step failed?)\n' "$1" >&2; return 1; }
}
lint_template() {
  need cfn-lint && need sam || return 1
  cfn-lint template.yaml && sam validate --lint --region us-east-1
}
sam_build() {
  need sam && cargo lambda --version >/dev/null || return 1
  case ${TEST_SAM_BUILD_MODE:-debug} in
    debug) export SAM_BUILD_MODE=debug ;;
    release) unset SAM_BUILD_MODE ;;
    *) printf 'error: TEST_SAM_BUILD_MODE is debug or release\n' >&2; return 1 ;;
  esac
  sam build --config-env x86_64 --template-file template.yaml \
    --build-dir "$DEV_DIR/sam-build" --cache-dir "$DEV_DIR/sam-cache"
}
stream_triggers_moto() {
  # moto (scripts/requirements-test.txt) in .dev/venv produces the DynamoDB Streams records.
  STREAMS_TEST_PYTHON="$VENV/bin/python3" \
    cargo test -p e2e --test streams --locked -- --ignored
}
sam_local_invoke() {
  need sam || return 1
  SAM_LOCAL_BUILD_DIR="$DEV_DIR/sam-build" \
    cargo test -p e2e --test sam_local --locked -- --ignored --nocapture
}

step "install tools (.dev/venv, tests/e2e/amplify, examples/nextjs)" install_tools
export PATH="$VENV/bin:$PATH"
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test (unit, integration, e2e)" cargo test --workspace --locked
step "stream triggers: records from moto's DynamoDB Streams" stream_triggers_moto
generated_files_current() { xtask samples --check && xtask docs --check; }
step "generated files are current (samples, docs)" generated_files_current
step "dev loop: samples exact, subscriber gets events" bash scripts/check-samples.sh
step "cfn-lint + sam validate --lint" lint_template
if [ -n "${SKIP_SAM_BUILD:-}" ]; then
  skip "sam build (x86_64)" "SKIP_SAM_BUILD is set"
else
  step "sam build (x86_64)" sam_build
fi
if [ -n "${SKIP_SAM_BUILD:-}" ] || [ -n "${SKIP_SAM_LOCAL:-}" ]; then
  skip "sam local invoke: every sample (Docker)" "SKIP_SAM_BUILD or SKIP_SAM_LOCAL is set"
elif [ "$(id -u)" -ne 0 ]; then
  skip "sam local invoke: every sample (Docker)" "needs root: it starts its own dockerd"
else
  step "sam local invoke: every sample (Docker)" sam_local_invoke
fi

printf '\n%sSummary%s\n' "$BOLD" "$RESET"
for i in "${!NAMES[@]}"; do
  printf '  %-50s %6s  %s\n' "${NAMES[$i]}" "${TIMES[$i]}" "${RESULTS[$i]}"
done
echo
if [ "$SKIPPED" -gt 0 ]; then
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
  echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" -eq 0 ]
