#!/usr/bin/env bash
# Starts the dev loop's stack (local-events in front of both functions under `cargo lambda
# watch`, scripts/lib.sh) on free loopback ports with the development configuration
# (dev/local.env), subscribes to /default/* over the WebSocket with a development token
# (Lambda mode: local-events asks the authorizer through cargo lambda watch), invokes
# every sample in events/ that has a <name>.expected.json, and exits non-zero unless every
# answer equals it exactly and the subscriber received every event the publisher samples
# published (IAM mode). Stops everything it started, whatever happens.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ensure_venv dev
trap stop_dev_stack EXIT
trap 'exit 130' INT TERM

EVENTS_PORT=${CHECK_EVENTS_PORT:-$(free_port)}
LAMBDA_PORT=${CHECK_LAMBDA_PORT:-$(free_port)}
start_dev_stack "$EVENTS_PORT" "$LAMBDA_PORT" check
warm_up_authorizer "$LAMBDA_PORT"
start_subscriber '/default/*' "$(mint_token 900)" check \
  || die "the /default/* subscriber could not subscribe (log: ${SUBSCRIBER_LOG#"$ROOT"/}; ${EVENTS_LOG#"$ROOT"/})"

if ! run_samples check "$LAMBDA_PORT" "$EVENTS_PORT"; then
  printf '\nLast lines of the function logs (%s):\n' "${WATCH_LOG#"$ROOT"/}" >&2
  tail -n 40 "$WATCH_LOG" | sed $'s/\x1b\\[[0-9;]*m//g' >&2
  exit 1
fi

# Delivery is asynchronous: give the fan-out up to 10 s to reach the subscriber.
published=$(received_count /default)
[ "$published" -gt 0 ] || die "local-events accepted no event on /default/* from the publisher samples"
for _ in $(seq 50); do
  [ "$(grep -c . "$SUBSCRIBER_OUT")" -ge "$published" ] && break
  sleep 0.2
done
delivered=$(grep -c . "$SUBSCRIBER_OUT" || true)
if [ "$delivered" -ne "$published" ]; then
  tail -n 20 "$SUBSCRIBER_LOG" >&2
  die "the /default/* subscriber received $delivered of the $published event(s) local-events accepted (${SUBSCRIBER_OUT#"$ROOT"/})"
fi
say "a WebSocket subscriber on /default/* received all $delivered event(s) the publisher samples published"
