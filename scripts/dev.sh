#!/usr/bin/env bash
# The development loop (README command 1).
#
# On a fresh clone: installs what it needs into .dev/venv (cargo-lambda from PyPI unless
# `cargo lambda` already works, PyJWT for dev tokens), builds, then starts
#   - local-events, the loopback stand-in for the AppSync Events endpoint (127.0.0.1:4010)
#   - both functions under `cargo lambda watch` (127.0.0.1:9000), reloading on code changes
# with the development configuration in dev/local.env (no AWS account, no identity
# provider), invokes every sample in events/, prints what each answered, and keeps running
# for your own `cargo lambda invoke` until Ctrl-C, then stops everything it started.
#
# Ports: DEV_EVENTS_PORT (default 4010), DEV_LAMBDA_PORT (default 9000).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

EVENTS_PORT=${DEV_EVENTS_PORT:-4010}
LAMBDA_PORT=${DEV_LAMBDA_PORT:-9000}

command -v cargo >/dev/null || die "cargo is required: install Rust from https://rustup.rs"
ensure_venv dev
trap stop_dev_stack EXIT
trap 'printf "\n"; say "stopping"; exit 0' INT TERM

start_dev_stack "$EVENTS_PORT" "$LAMBDA_PORT" dev
say "invoking every sample in events/"
run_samples table "$LAMBDA_PORT" "$EVENTS_PORT" || warn "some samples could not be invoked (see above)"

TOKEN=$("$VENV/bin/python" "$ROOT/scripts/mint-dev-token.py" --prefix "supabase:" --ttl 86400)
INVOKE="--invoke-address 127.0.0.1 --invoke-port $LAMBDA_PORT"
cat <<EOF

${BOLD}The dev loop is running${RESET} (functions reload when you save). Try:

  ${DIM}# an authorizer sample, or any payload of your own${RESET}
  cargo lambda invoke authorizer --data-file events/authorizer/connect.json $INVOKE
  ${DIM}# publish through the publisher to local-events${RESET}
  cargo lambda invoke publisher --data-ascii '{"channel":"/default/chat","events":[{"text":"hi"}]}' $INVOKE
  ${DIM}# what local-events received${RESET}
  curl -s 'http://127.0.0.1:$EVENTS_PORT/_local/events?channel=/default/*'

A development token for the dev user, valid 24 h, wrapped as clients send it
(scripts/mint-dev-token.py --help for other users, expiries and claims):

  $TOKEN

Logs: ${WATCH_LOG#"$ROOT"/} and ${EVENTS_LOG#"$ROOT"/}
Press Ctrl-C to stop.
EOF

# Wait for Ctrl-C, or for one of our processes to die on its own.
while kill -0 "$LOCAL_EVENTS_PID" 2>/dev/null && kill -0 "$WATCH_PID" 2>/dev/null; do
  sleep 1
done
kill -0 "$LOCAL_EVENTS_PID" 2>/dev/null || { tail -n 20 "$EVENTS_LOG" >&2; die "local-events stopped unexpectedly"; }
tail -n 20 "$WATCH_LOG" >&2
die "cargo lambda watch stopped unexpectedly"
