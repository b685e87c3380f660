# shellcheck shell=bash
# Shared by scripts/dev.sh, scripts/check-samples.sh, scripts/test.sh and .ci/run.
# Source it; it defines functions and variables and starts nothing by itself.
#
# Everything it creates lives in .dev/ (git-ignored): the Python venv with the PyPI-packaged
# tools (cargo-lambda, SAM CLI, cfn-lint); per-run env files; logs. What needs logic (the
# dev configuration, tokens, samples) is Rust, run through `xtask` (`cargo xtask`). It only
# starts processes through start_dev_stack, and stop_dev_stack kills exactly those (by
# process group).
# Portable to macOS's bash 3.2: no `wait -n`, no associative arrays.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV_DIR="$ROOT/.dev"
VENV="$DEV_DIR/venv"
LOG_DIR="$DEV_DIR/logs"
RUN_DIR="$DEV_DIR/run"

# SAM CLI must not phone home (and CI has no network beyond the package registries).
export SAM_CLI_TELEMETRY=0

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  BOLD=$'\033[1m' DIM=$'\033[2m' RED=$'\033[31m' GREEN=$'\033[32m' YELLOW=$'\033[33m' RESET=$'\033[0m'
else
  # shellcheck disable=SC2034 # used by the scripts that source this file
  BOLD='' DIM='' RED='' GREEN='' YELLOW='' RESET=''
fi

say() { printf '%s==>%s %s\n' "$BOLD" "$RESET" "$*"; }
warn() { printf '%swarning:%s %s\n' "$YELLOW" "$RESET" "$*" >&2; }
die() { printf '%serror:%s %s\n' "$RED" "$RESET" "$*" >&2; exit 1; }

# ensure_venv dev|test
#   Creates .dev/venv and installs scripts/requirements-<kind>.txt into it, once per
#   version of that file. For `dev` (cargo-lambda only), nothing happens when `cargo
#   lambda` already works. Puts the venv's bin first on PATH: cargo-lambda finds its zig linker through
#   the `python3` on PATH (`python3 -m ziglang`), so that must be the venv's.
ensure_venv() {
  local kind=$1 requirements="$ROOT/scripts/requirements-$1.txt" filtered hash
  # The dev loop needs nothing from PyPI but cargo-lambda: with a working one, no venv.
  if [ "$kind" = dev ] && cargo lambda --version >/dev/null 2>&1; then
    return 0
  fi
  command -v python3 >/dev/null || die "python3 is required (for the tool venv: cargo-lambda, SAM CLI)"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the tool venv in .dev/venv"
    python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  fi
  # One stamp per kind and version of the requirement files. The test tools include the
  # dev tools, so a venv set up for tests is set up for dev too.
  hash=$(cat "$ROOT"/scripts/requirements-*.txt | cksum | cut -d' ' -f1)
  if [ ! -f "$VENV/.installed-$kind-$hash" ] && [ ! -f "$VENV/.installed-test-$hash" ]; then
    mkdir -p "$RUN_DIR"
    filtered="$RUN_DIR/requirements-$kind.txt"
    cp "$requirements" "$filtered"
    # -r lines are resolved relative to the file that names them.
    sed -i.bak "s#^-r #-r $ROOT/scripts/#" "$filtered" && rm -f "$filtered.bak"
    say "installing $(grep -hv '^[#-]' "$filtered" | grep . | tr '\n' ' ')into .dev/venv"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$filtered" \
      || die "pip install failed (see above)"
    touch "$VENV/.installed-$kind-$hash"
  fi
  case ":$PATH:" in
    *":$VENV/bin:"*) ;;
    *) export PATH="$VENV/bin:$PATH" ;;
  esac
  cargo lambda --version >/dev/null 2>&1 || die "cargo lambda is not usable even after installing it into .dev/venv"
}

AMPLIFY_DIR="$ROOT/tests/e2e/amplify"

# ensure_node_modules: `npm ci` in tests/e2e/amplify (the real aws-amplify client the
# end-to-end tests drive), once per version of its package-lock.json. Needs Node >= 20.14
# (node --test --test-force-exit) and npm.
ensure_node_modules() {
  local hash
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    die "Node.js >= 20.14 and npm are required for the Amplify end-to-end tests (tests/e2e/amplify)"
  fi
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 14) ? 0 : 1)' \
    || die "Node.js >= 20.14 is required for tests/e2e/amplify (found $(node --version))"
  hash=$(cksum <"$AMPLIFY_DIR/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$AMPLIFY_DIR/node_modules/.installed-$hash" ]; then
    say "npm ci --prefix tests/e2e/amplify (aws-amplify and ws, pinned by its package-lock.json)"
    npm ci --prefix "$AMPLIFY_DIR" --no-audit --no-fund --loglevel=error \
      || die "npm ci --prefix tests/e2e/amplify failed (see above)"
    touch "$AMPLIFY_DIR/node_modules/.installed-$hash"
  fi
}

EXAMPLE_DIR="$ROOT/examples/nextjs"

# ensure_example: `npm ci` in examples/nextjs once per version of its package-lock.json,
# then `next build` once per version of its sources (the browser test, tests/e2e/tests/
# browser.rs, runs the built app with `next start`). Telemetry off; nothing it builds
# fetches from the network.
ensure_example() {
  local hash sources
  command -v npm >/dev/null || die "npm is required for examples/nextjs"
  hash=$(cksum <"$EXAMPLE_DIR/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$EXAMPLE_DIR/node_modules/.installed-$hash" ]; then
    say "npm ci --prefix examples/nextjs (Next.js, aws-amplify, playwright-core; pinned by its package-lock.json)"
    npm ci --prefix "$EXAMPLE_DIR" --no-audit --no-fund --loglevel=error \
      || die "npm ci --prefix examples/nextjs failed (see above)"
    touch "$EXAMPLE_DIR/node_modules/.installed-$hash"
  fi
  sources=$(cd "$EXAMPLE_DIR" && find app lib next.config.mjs package-lock.json tsconfig.json -type f -print0 \
    | sort -z | xargs -0 cat | cksum | cut -d' ' -f1)
  if [ ! -f "$EXAMPLE_DIR/.next/BUILD_ID" ] || [ ! -f "$EXAMPLE_DIR/.next/.built-$sources" ]; then
    say "next build (examples/nextjs)"
    (cd "$EXAMPLE_DIR" && NEXT_TELEMETRY_DISABLED=1 node node_modules/next/dist/bin/next build) \
      || die "next build in examples/nextjs failed (see above)"
    touch "$EXAMPLE_DIR/.next/.built-$sources"
  fi
}

# xtask COMMAND ARGS...: the project's own tooling (tools/xtask), as `cargo xtask` runs it.
xtask() {
  (cd "$ROOT" && cargo run --quiet --package xtask -- "$@")
}

# build_binaries: builds what the dev loop runs, and the tooling, once per script run.
BUILT=""
build_binaries() {
  [ -z "$BUILT" ] || return 0
  say "building local-events, authorizer, publisher and cargo xtask"
  (cd "$ROOT" && cargo build --quiet --bin local-events --bin authorizer --bin publisher --bin xtask) \
    || die "the build failed (see above)"
  BUILT=1
}

# free_port: prints a free loopback TCP port.
free_port() {
  xtask free-port
}

# port_in_use PORT: succeeds when something listens on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for_port PORT PID SECONDS NAME LOG: waits until PORT accepts connections, failing
# early (with the log's tail) if PID exits.
wait_for_port() {
  local port=$1 pid=$2 seconds=$3 name=$4 log=$5 i=0
  while ! port_in_use "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2
      die "$name exited during start-up (log: ${log#"$ROOT"/})"
    fi
    i=$((i + 1))
    if [ "$i" -gt $((seconds * 5)) ]; then
      tail -n 30 "$log" >&2
      die "$name did not listen on 127.0.0.1:$port within ${seconds}s (log: ${log#"$ROOT"/})"
    fi
    sleep 0.2
  done
}

# events_url PORT: the local endpoint's origin, as clients and the publisher must use it:
# https://localhost:PORT with DEV_TLS=1 (the development certificate names localhost),
# else http://127.0.0.1:PORT.
events_url() {
  if [ -n "${DEV_TLS:-}" ]; then
    printf 'https://localhost:%s\n' "$1"
  else
    printf 'http://127.0.0.1:%s\n' "$1"
  fi
}

# write_run_env EVENTS_PORT NAME: prints the path of the functions' env file for `cargo
# lambda watch --env-file`: dev/local.env with EVENTS_ENDPOINT pointing at EVENTS_PORT
# (`cargo xtask dev-env functions`). With DEV_TLS=1 the functions also get the development
# CA as EVENTS_DEV_CA_PEM, the one CA the publisher then trusts for https://localhost
# (start_dev_stack calls this once local-events has created the CA).
write_run_env() {
  local port=$1 out="$RUN_DIR/$2.env"
  mkdir -p "$RUN_DIR"
  xtask dev-env functions --events-url "$(events_url "$port")" \
    ${DEV_TLS:+--dev-ca "$DEV_CA"} >"$out" || die "cargo xtask dev-env failed"
  printf '%s\n' "$out"
}

CERT_DIR="$DEV_DIR/certs"
DEV_CA="$CERT_DIR/ca.pem"

STARTED_PIDS=""

# start_dev_stack EVENTS_PORT LAMBDA_PORT NAME
#   Builds the binaries, then starts local-events and `cargo lambda watch` in their own
#   process groups with the development environment. local-events reads its namespaces
#   and auth modes from template.yaml, asks the authorizer through cargo lambda watch's
#   Lambda Invoke API (Lambda mode) and verifies the publisher's SigV4 signatures against
#   the development credentials in dev/local.env (IAM mode); DEV_TLS=1 serves TLS with
#   the development CA in .dev/certs. Sets RUN_ENV, EVENTS_URL, EVENTS_LOG, WATCH_LOG,
#   LOCAL_EVENTS_PID, WATCH_PID. Call stop_dev_stack (e.g. from an EXIT trap) to stop them.
start_dev_stack() {
  local events_port=$1 lambda_port=$2 name=$3
  local port
  for port in "$events_port" "$lambda_port"; do
    if port_in_use "$port"; then
      die "127.0.0.1:$port is already in use (another scripts/dev.sh?). Stop it, or choose other ports with DEV_EVENTS_PORT / DEV_LAMBDA_PORT."
    fi
  done
  mkdir -p "$LOG_DIR"
  build_binaries
  # local-events' own variables, as `export` lines this script sources.
  local events_env="$RUN_DIR/$name-local-events.sh"
  xtask dev-env local-events --listen "127.0.0.1:$events_port" >"$events_env" \
    || die "cargo xtask dev-env failed"
  EVENTS_URL=$(events_url "$events_port")
  EVENTS_LOG="$LOG_DIR/$name-local-events.log"
  WATCH_LOG="$LOG_DIR/$name-cargo-lambda-watch.log"

  local tls_args=""
  [ -z "${DEV_TLS:-}" ] || tls_args="--tls"
  # Each background job gets its own process group (set -m), so stop_dev_stack can stop
  # a job with everything it spawned (cargo lambda watch runs the functions as children),
  # and a Ctrl-C in the terminal reaches only this script, which then cleans up.
  set -m
  say "starting local-events on $EVENTS_URL (log: ${EVENTS_LOG#"$ROOT"/})"
  (
    # Only the LOCAL_EVENTS_* variables configure it; the IAM credentials it accepts are
    # the ones the publisher signs with.
    # shellcheck disable=SC1090
    . "$events_env"
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    # shellcheck disable=SC2086 # tls_args is empty or one word
    exec "$ROOT/target/debug/local-events" $tls_args --cert-dir "$CERT_DIR" \
      --template "$ROOT/template.yaml" --authorizer-url "http://127.0.0.1:$lambda_port"
  ) >"$EVENTS_LOG" 2>&1 &
  LOCAL_EVENTS_PID=$!
  STARTED_PIDS="$STARTED_PIDS $LOCAL_EVENTS_PID"
  set +m
  # With DEV_TLS=1 the functions' env file carries the development CA, which local-events
  # creates on its first start: write it once local-events listens.
  wait_for_port "$events_port" "$LOCAL_EVENTS_PID" 30 local-events "$EVENTS_LOG"
  RUN_ENV=$(write_run_env "$events_port" "$name")

  set -m
  say "starting cargo lambda watch on 127.0.0.1:$lambda_port (log: ${WATCH_LOG#"$ROOT"/})"
  (
    cd "$ROOT" && exec cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$lambda_port" \
      --env-file "$RUN_ENV" --color never
  ) >"$WATCH_LOG" 2>&1 &
  WATCH_PID=$!
  STARTED_PIDS="$STARTED_PIDS $WATCH_PID"
  set +m

  wait_for_port "$lambda_port" "$WATCH_PID" 120 "cargo lambda watch" "$WATCH_LOG"
}

# warm_up_authorizer LAMBDA_PORT: invokes the authorizer once through cargo lambda watch,
# which starts (and if needed rebuilds) a function on its first invocation, so that
# local-events' first question is not lost to its 10 s authorizer timeout.
warm_up_authorizer() {
  (cd "$ROOT" && cargo lambda invoke authorizer --data-file events/authorizer/connect.json \
    --invoke-address 127.0.0.1 --invoke-port "$1" --output-format json >/dev/null) \
    || { tail -n 30 "$WATCH_LOG" >&2; die "the authorizer did not answer under cargo lambda watch (log: ${WATCH_LOG#"$ROOT"/})"; }
}

# mint_token TTL_SECONDS: a development token for the dev user, wrapped as clients send it.
mint_token() {
  xtask mint-dev-token --prefix "supabase:" --ttl "$1"
}

# start_subscriber CHANNEL TOKEN NAME
#   Starts `local-events subscribe CHANNEL` against the running endpoint (a real
#   WebSocket client, authorized in Lambda mode with TOKEN) in its own process group and
#   waits up to 60 s until it is subscribed (then sets SUBSCRIBED=1). The events it
#   receives go to SUBSCRIBER_OUT, one JSON per line; its log to SUBSCRIBER_LOG.
#   stop_dev_stack stops it.
start_subscriber() {
  local channel=$1 token=$2 name=$3 i=0
  SUBSCRIBED=""
  SUBSCRIBER_OUT="$LOG_DIR/$name-subscriber.jsonl"
  SUBSCRIBER_LOG="$LOG_DIR/$name-subscriber.log"
  : >"$SUBSCRIBER_OUT"
  set -m
  LOCAL_EVENTS_TOKEN="$token" "$ROOT/target/debug/local-events" subscribe "$channel" \
    --endpoint "$EVENTS_URL/event" --ca "$DEV_CA" >"$SUBSCRIBER_OUT" 2>"$SUBSCRIBER_LOG" &
  SUBSCRIBER_PID=$!
  STARTED_PIDS="$STARTED_PIDS $SUBSCRIBER_PID"
  set +m
  # The first subscribe compiles and cold-starts the authorizer under cargo lambda watch.
  until grep -q 'subscribed' "$SUBSCRIBER_LOG" 2>/dev/null; do
    if ! kill -0 "$SUBSCRIBER_PID" 2>/dev/null; then
      tail -n 20 "$SUBSCRIBER_LOG" >&2
      return 1
    fi
    i=$((i + 1))
    if [ "$i" -gt 300 ]; then
      tail -n 20 "$SUBSCRIBER_LOG" >&2
      return 1
    fi
    sleep 0.2
  done
  SUBSCRIBED=1
}

# stop_dev_stack: stops what start_dev_stack started (SIGTERM to each process group, then
# SIGKILL after 5 s for anything still there).
stop_dev_stack() {
  local pid i
  [ -n "$STARTED_PIDS" ] || return 0
  for pid in $STARTED_PIDS; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for i in 1 2 3 4 5 6 7 8 9 10; do
    local alive=""
    for pid in $STARTED_PIDS; do
      kill -0 -- "-$pid" 2>/dev/null && alive=1
    done
    [ -n "$alive" ] || break
    sleep 0.5
  done
  for pid in $STARTED_PIDS; do
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  STARTED_PIDS=""
}

# run_samples LAMBDA_PORT [--check]: `cargo xtask run-samples` against the running stack:
# every sample in events/ invoked and compared, what local-events received, and (when
# start_subscriber succeeded) whether the /default/* subscriber got all of it. --check
# fails on any difference; without it, the table is a report.
run_samples() {
  local lambda_port=$1
  shift
  xtask run-samples --lambda-port "$lambda_port" --events-url "$EVENTS_URL" \
    ${DEV_TLS:+--ca "$DEV_CA"} ${SUBSCRIBED:+--subscriber-out "$SUBSCRIBER_OUT"} "$@"
}
