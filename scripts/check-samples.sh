#!/usr/bin/env bash
# Starts local-events and both functions under `cargo lambda watch` on free loopback ports
# with the development configuration (dev/local.env), invokes every sample in events/ that
# has a <name>.expected.json, and exits non-zero unless every answer equals it exactly.
# Stops everything it started, whatever happens.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ensure_venv dev
trap stop_dev_stack EXIT
trap 'exit 130' INT TERM

EVENTS_PORT=${CHECK_EVENTS_PORT:-$(free_port)}
LAMBDA_PORT=${CHECK_LAMBDA_PORT:-$(free_port)}
start_dev_stack "$EVENTS_PORT" "$LAMBDA_PORT" check

if ! run_samples check "$LAMBDA_PORT" "$EVENTS_PORT"; then
  printf '\nLast lines of the function logs (%s):\n' "${WATCH_LOG#"$ROOT"/}" >&2
  tail -n 40 "$WATCH_LOG" | sed $'s/\x1b\\[[0-9;]*m//g' >&2
  exit 1
fi
