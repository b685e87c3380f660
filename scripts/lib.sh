# shellcheck shell=bash
# Shared by scripts/dev.sh, scripts/check-samples.sh, scripts/test.sh and .ci/run.
# Source it; it defines functions and variables and starts nothing by itself.
#
# Everything it creates lives in .dev/ (git-ignored): the Python venv with cargo-lambda,
# PyJWT, SAM CLI and cfn-lint; per-run env files; logs. It only starts processes through
# start_dev_stack, and stop_dev_stack kills exactly those (by process group).
# Portable to macOS's bash 3.2: no `wait -n`, no associative arrays.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV_DIR="$ROOT/.dev"
VENV="$DEV_DIR/venv"
LOG_DIR="$DEV_DIR/logs"
RUN_DIR="$DEV_DIR/run"
DEV_ENV="$ROOT/dev/local.env"

# SAM CLI must not phone home (and CI has no network beyond the package registries).
export SAM_CLI_TELEMETRY=0

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  BOLD=$'\033[1m' DIM=$'\033[2m' RED=$'\033[31m' GREEN=$'\033[32m' YELLOW=$'\033[33m' RESET=$'\033[0m'
else
  BOLD='' DIM='' RED='' GREEN='' YELLOW='' RESET=''
fi

say() { printf '%s==>%s %s\n' "$BOLD" "$RESET" "$*"; }
warn() { printf '%swarning:%s %s\n' "$YELLOW" "$RESET" "$*" >&2; }
die() { printf '%serror:%s %s\n' "$RED" "$RESET" "$*" >&2; exit 1; }

# ensure_venv dev|test
#   Creates .dev/venv and installs scripts/requirements-<kind>.txt into it, once per
#   version of that file. For `dev`, cargo-lambda is skipped when `cargo lambda` already
#   works. Puts the venv's bin first on PATH: cargo-lambda finds its zig linker through
#   the `python3` on PATH (`python3 -m ziglang`), so that must be the venv's.
ensure_venv() {
  local kind=$1 requirements="$ROOT/scripts/requirements-$1.txt" filtered hash
  command -v python3 >/dev/null || die "python3 is required (for the tool venv and sample checks)"
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
    if [ "$kind" = dev ] && cargo lambda --version >/dev/null 2>&1; then
      grep -v '^cargo-lambda' "$requirements" >"$filtered"
    else
      cp "$requirements" "$filtered"
    fi
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

# free_port: prints a free loopback TCP port.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# port_in_use PORT: succeeds when something listens on 127.0.0.1:PORT.
port_in_use() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
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

# write_run_env EVENTS_PORT NAME: prints the path of a copy of dev/local.env whose
# endpoint lines point at EVENTS_PORT.
write_run_env() {
  local port=$1 out="$RUN_DIR/$2.env"
  mkdir -p "$RUN_DIR"
  sed -e "s#^EVENTS_ENDPOINT=.*#EVENTS_ENDPOINT=http://127.0.0.1:$port#" \
    -e "s#^LOCAL_EVENTS_LISTEN=.*#LOCAL_EVENTS_LISTEN=127.0.0.1:$port#" \
    "$DEV_ENV" >"$out"
  printf '%s\n' "$out"
}

STARTED_PIDS=""

# start_dev_stack EVENTS_PORT LAMBDA_PORT NAME
#   Builds the binaries, then starts local-events and `cargo lambda watch` in their own
#   process groups with the development environment. Sets RUN_ENV, EVENTS_LOG, WATCH_LOG,
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
  RUN_ENV=$(write_run_env "$events_port" "$name")
  EVENTS_LOG="$LOG_DIR/$name-local-events.log"
  WATCH_LOG="$LOG_DIR/$name-cargo-lambda-watch.log"

  say "building local-events, authorizer and publisher"
  (cd "$ROOT" && cargo build --quiet --bin local-events --bin authorizer --bin publisher) \
    || die "the build failed (see above)"

  # Each background job gets its own process group (set -m), so stop_dev_stack can stop
  # a job with everything it spawned (cargo lambda watch runs the functions as children),
  # and a Ctrl-C in the terminal reaches only this script, which then cleans up.
  set -m
  say "starting local-events on 127.0.0.1:$events_port (log: ${EVENTS_LOG#"$ROOT"/})"
  (
    set -a
    # shellcheck disable=SC1090
    . "$RUN_ENV"
    set +a
    exec "$ROOT/target/debug/local-events"
  ) >"$EVENTS_LOG" 2>&1 &
  LOCAL_EVENTS_PID=$!
  STARTED_PIDS="$STARTED_PIDS $LOCAL_EVENTS_PID"

  say "starting cargo lambda watch on 127.0.0.1:$lambda_port (log: ${WATCH_LOG#"$ROOT"/})"
  (
    cd "$ROOT" && exec cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$lambda_port" \
      --env-file "$RUN_ENV" --color never
  ) >"$WATCH_LOG" 2>&1 &
  WATCH_PID=$!
  STARTED_PIDS="$STARTED_PIDS $WATCH_PID"
  set +m

  wait_for_port "$events_port" "$LOCAL_EVENTS_PID" 30 local-events "$EVENTS_LOG"
  wait_for_port "$lambda_port" "$WATCH_PID" 120 "cargo lambda watch" "$WATCH_LOG"
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

# run_samples MODE LAMBDA_PORT EVENTS_PORT: invokes every sample in events/; MODE is
# `table` (dev loop: report) or `check` (exit non-zero on a mismatch).
run_samples() {
  "$VENV/bin/python" "$ROOT/scripts/run-samples.py" --mode "$1" --lambda-port "$2" --events-port "$3"
}
