// Shared by the *.test.mjs files: reads what tests/e2e/tests/amplify.rs passes in the
// environment, installs `ws` as the global WebSocket, configures Amplify exactly as an app
// would (Lambda mode, no token in the config), and offers bounded waits.
//
// Environment (all set by amplify.rs; a missing one is a harness bug, so it throws):
//   EVENTS_ENDPOINT       http://127.0.0.1:<port>/event, or https://localhost:<port>/event
//                         when local-events serves TLS (then NODE_EXTRA_CA_CERTS is set)
//   EVENTS_TOKEN          a valid `supabase:<HS256 JWT>` development token for EVENTS_SUB
//   EVENTS_SUB            that token's `sub` claim (channel rules allow /users/<sub>/*)
//   EVENTS_EXPIRED_TOKEN  the same kind of token, expired an hour ago
//   EVENTS_CONTROL_URL    the Rust side's loopback control server: POST /publish invokes
//                         the real publisher function with the body and answers with its
//                         result (see amplify.rs)

import assert from 'node:assert/strict';
import WS from 'ws';
import { Amplify } from 'aws-amplify';

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run these tests through \`cargo test -p e2e --test amplify\``);
  return value;
}

export const endpoint = required('EVENTS_ENDPOINT');
export const token = required('EVENTS_TOKEN');
export const sub = required('EVENTS_SUB');
export const expiredToken = required('EVENTS_EXPIRED_TOKEN');
const controlUrl = required('EVENTS_CONTROL_URL');

/** Bound for every single wait (connect, ready, an event, a publish answer). */
export const WAIT_MS = 10_000;
/** Bound for each whole test (node:test `timeout`). */
export const TEST_TIMEOUT_MS = 30_000;

// Amplify opens sockets with the global WebSocket at call time and always with wss://,
// even for an http:// endpoint (reference: amplify-events-client.md §1, §3). `ws@8` on
// every Node version: Node 20 has no global WebSocket and Node ≤ 22's built-in one hangs
// `connect()` forever on a failed handshake. Over plain HTTP, downgrade wss:// to ws:// for
// loopback only; over TLS keep wss:// (NODE_EXTRA_CA_CERTS makes the development CA
// trusted by both `ws` and fetch).
if (endpoint.startsWith('http://')) {
  globalThis.WebSocket = class LoopbackWebSocket extends WS {
    constructor(url, protocols, options) {
      super(String(url).replace(/^wss:\/\/(127\.0\.0\.1|localhost)([:/])/, 'ws://$1$2'), protocols, options);
    }
  };
} else {
  globalThis.WebSocket = WS;
}

Amplify.configure({
  API: {
    Events: {
      endpoint,
      region: 'us-east-1', // only used for IAM signing; Lambda mode ignores it
      defaultAuthMode: 'lambda',
    },
  },
});

/** Rejects with `what` after `ms` unless `promise` settles first. */
export async function within(promise, what, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An observer for `channel.subscribe` that queues what arrives, so a test can wait for
 * the next event (or the subscription error) with a bound.
 */
export function collector() {
  const events = [];
  const errors = [];
  let wake = () => {};
  const changed = () => {
    wake();
  };
  const waitFor = async (pick, what) =>
    within(
      (async () => {
        for (;;) {
          const found = pick();
          if (found !== undefined) return found;
          await new Promise((resolve) => {
            wake = resolve;
          });
        }
      })(),
      what,
    );
  return {
    observer: {
      next: (data) => {
        events.push(data);
        changed();
      },
      error: (error) => {
        errors.push(error);
        changed();
      },
    },
    events,
    errors,
    /** The next `count` events' parsed payloads, in arrival order. */
    take: (count, what = `${count} event(s)`) =>
      waitFor(() => (events.length >= count ? events.splice(0, count).map((d) => d.event) : undefined), what),
    /** The first error the observer received. */
    error: (what = 'a subscription error') => waitFor(() => errors[0], what),
  };
}

/**
 * Asks the Rust side to invoke the real `publisher` function (under the Lambda Runtime
 * API, IAM-signing its POST /event to local-events) with `input`; returns its answer.
 */
export async function publishThroughPublisher(input) {
  const response = await within(
    fetch(`${controlUrl}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    }),
    'the publisher function to answer',
  );
  const body = await response.json();
  assert.equal(response.status, 200, `the publisher function failed: ${JSON.stringify(body)}`);
  return body;
}
