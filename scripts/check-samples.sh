#!/usr/bin/env bash
# Starts the dev loop's stack (local-events in front of both functions under `cargo lambda
# watch`, scripts/lib.sh) on free loopback ports with the development configuration
# (dev/local.env), subscribes to /default/* over the WebSocket with a development token
# (Lambda mode: local-events asks the authorizer through cargo lambda watch), then runs
# `cargo xtask run-samples --check`: every sample in events/ that has a
# <name>.expected.json must get exactly that answer, and the subscriber must receive every
# event the publisher samples published (IAM mode). Stops everything it started, whatever
# happens.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ensure_venv dev
trap stop_dev_stack EXIT
trap 'exit 130' INT TERM

build_binaries
EVENTS_PORT=${CHECK_EVENTS_PORT:-$(free_port)}
LAMBDA_PORT=${CHECK_LAMBDA_PORT:-$(free_port)}
start_dev_stack "$EVENTS_PORT" "$LAMBDA_PORT" check
warm_up_authorizer "$LAMBDA_PORT"
start_subscriber '/default/*' "$(mint_token 900)" check \
  || die "the /default/* subscriber could not subscribe (log: ${SUBSCRIBER_LOG#"$ROOT"/}; ${EVENTS_LOG#"$ROOT"/})"

if ! run_samples "$LAMBDA_PORT" --check; then
  printf '\nLast lines of the function logs (%s):\n' "${WATCH_LOG#"$ROOT"/}" >&2
  tail -n 40 "$WATCH_LOG" | sed $'s/\x1b\\[[0-9;]*m//g' >&2
  tail -n 20 "$SUBSCRIBER_LOG" >&2
  exit 1
fi
