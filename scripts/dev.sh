#!/usr/bin/env bash
# The development loop (README command 1).
#
# On a fresh clone: installs what it needs into .dev/venv (cargo-lambda from PyPI unless
# `cargo lambda` already works), builds, then starts on loopback, with
# the development configuration in dev/local.env (no AWS account, no identity provider):
#   - both functions under `cargo lambda watch` (127.0.0.1:9000), reloading on code changes
#   - local-events, the local AppSync Events endpoint (127.0.0.1:4010), in front of them:
#     namespaces and auth modes from template.yaml, Lambda mode through the authorizer
#     under cargo lambda watch (its Invoke API), IAM mode for the publisher's SigV4
#     signatures with the development credentials
#   - a WebSocket subscriber on /default/* with a fresh development token
# invokes every sample in events/, prints what each answered and how to connect a client,
# then shows the events the subscriber receives until Ctrl-C, and stops everything it
# started.
#
# Ports: DEV_EVENTS_PORT (default 4010), DEV_LAMBDA_PORT (default 9000).
# DEV_TLS=1 serves https/wss on https://localhost:<port> with a development CA created in
# .dev/certs on first use (browsers need it: Amplify always opens wss://).
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
warm_up_authorizer "$LAMBDA_PORT"
TOKEN=$(mint_token 86400)
start_subscriber '/default/*' "$TOKEN" dev \
  || warn "the /default/* subscriber could not subscribe (log: ${SUBSCRIBER_LOG#"$ROOT"/}, ${EVENTS_LOG#"$ROOT"/})"
say "invoking every sample in events/"
run_samples "$LAMBDA_PORT" || warn "some samples could not be invoked (see above)"

INVOKE="--invoke-address 127.0.0.1 --invoke-port $LAMBDA_PORT"
if [ -n "${DEV_TLS:-}" ]; then
  TRUST="Node: NODE_EXTRA_CA_CERTS=${DEV_CA#"$ROOT"/} node app.mjs
  Browsers: trust ${DEV_CA#"$ROOT"/} once as a certificate authority (docs/local-endpoint.md)."
  CURL="curl -s --cacert ${DEV_CA#"$ROOT"/}"
else
  TRUST="Amplify always opens wss://: in Node, install the loopback ws:// shim in
  docs/clients.md (\"Against the local endpoint\"); for a browser, restart with DEV_TLS=1."
  CURL="curl -s"
fi
PATH_HINT=""
if [ "$(command -v cargo-lambda)" = "$VENV/bin/cargo-lambda" ]; then
  PATH_HINT="
  export PATH=\"\$PWD/${VENV#"$ROOT"/}/bin:\$PATH\"   ${DIM}# cargo lambda, installed there by this script${RESET}"
fi
cat <<EOF

${BOLD}The dev loop is running${RESET} (functions reload when you save).

  local-events  $EVENTS_URL/event  (WebSocket: /event/realtime)
                connect/subscribe/publish: Lambda mode, asking the authorizer below
                publish: also IAM mode, verifying the publisher's SigV4 signatures
  functions     cargo lambda watch on 127.0.0.1:$LAMBDA_PORT (authorizer, publisher)

${BOLD}Connect a client${RESET} (aws-amplify >= 6.15.2) with a development token for the dev
user, valid 24 h (cargo xtask mint-dev-token --help for other users, expiries, claims):

  import { Amplify } from 'aws-amplify';
  import { events } from 'aws-amplify/data';
  Amplify.configure({ API: { Events: {
    endpoint: '$EVENTS_URL/event', region: 'us-east-1', defaultAuthMode: 'lambda' } } });
  const authToken = '$TOKEN';
  const channel = await events.connect('/default/chat', { authToken });
  channel.subscribe({ next: (data) => console.log(data.event) });
  await events.post('/default/chat', { text: 'hi' }, { authToken });

  $TRUST

${BOLD}From the terminal${RESET} (another shell, in $ROOT):
$PATH_HINT
  export LOCAL_EVENTS_ENDPOINT=$EVENTS_URL/event LOCAL_EVENTS_TOKEN='$TOKEN'
  ${DIM}# subscribe (a wildcard works too), then publish as a user (Lambda mode)${RESET}
  target/debug/local-events subscribe /default/chat
  target/debug/local-events publish /default/chat '{"text":"hi"}'          ${DIM}# --ws: over the WebSocket${RESET}
  ${DIM}# publish through the publisher function (IAM-signed)${RESET}
  cargo lambda invoke publisher --data-ascii '{"channel":"/default/chat","events":[{"text":"hi"}]}' $INVOKE
  ${DIM}# ask the authorizer directly, and list what local-events accepted${RESET}
  cargo lambda invoke authorizer --data-file events/authorizer/connect.json $INVOKE
  $CURL '$EVENTS_URL/_local/events?channel=/default/*'

Logs: ${WATCH_LOG#"$ROOT"/}, ${EVENTS_LOG#"$ROOT"/}. Protocol and options: docs/local-endpoint.md.
Press Ctrl-C to stop.
EOF

if [ -n "$SUBSCRIBED" ]; then
  printf '\n%sEvents on /default/* as the subscriber receives them:%s\n' "$BOLD" "$RESET"
fi
# Wait for Ctrl-C, or for one of our processes to die on its own; meanwhile show what the
# subscriber receives.
SHOWN=0
[ -z "$SUBSCRIBED" ] || SHOWN=$(grep -c . "$SUBSCRIBER_OUT" || true)
while kill -0 "$LOCAL_EVENTS_PID" 2>/dev/null && kill -0 "$WATCH_PID" 2>/dev/null; do
  if [ -n "$SUBSCRIBED" ]; then
    TOTAL=$(grep -c . "$SUBSCRIBER_OUT" || true)
    if [ "$TOTAL" -gt "$SHOWN" ]; then
      sed -n "$((SHOWN + 1)),${TOTAL}p" "$SUBSCRIBER_OUT" | sed "s#^#  ${DIM}/default/*${RESET} #"
      SHOWN=$TOTAL
    fi
  fi
  sleep 1
done
kill -0 "$LOCAL_EVENTS_PID" 2>/dev/null || { tail -n 20 "$EVENTS_LOG" >&2; die "local-events stopped unexpectedly"; }
tail -n 20 "$WATCH_LOG" >&2
die "cargo lambda watch stopped unexpectedly"
