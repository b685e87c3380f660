// What the real aws-amplify client sees when the real authorizer says no: an expired token
// on connect and on `events.post`, and a wildcard subscription wider than the channel rules
// grant (`/users/{sub}/*` does not cover `/users/*`).
//
// Separate from realtime.test.mjs so it runs in its own process: a refused connection must
// not share Amplify's singleton socket with the happy paths.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { events } from 'aws-amplify/data';
import { TEST_TIMEOUT_MS, collector, expiredToken, sub, token, within } from './lib/harness.mjs';

afterEach(async () => {
  await events.closeAll();
});

test(
  'connecting with an expired token is rejected with UnauthorizedException, not retried',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const started = Date.now();
    await assert.rejects(
      within(events.connect(`/users/${sub}/inbox`, { authToken: expiredToken }), 'connect to be refused'),
      (error) => {
        assert.match(String(error?.message ?? error), /UnauthorizedException/);
        return true;
      },
    );
    // connection_error with UnauthorizedException is non-retryable for Amplify; any other
    // errorType would be retried with backoff for about 6.5 s first.
    assert.ok(Date.now() - started < 5_000, `refused after ${Date.now() - started} ms: was it retried?`);
  },
);

test(
  'events.post with an expired token fails with UnauthorizedException and HTTP 401',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    await assert.rejects(
      within(events.post(`/users/${sub}/late`, { late: true }, { authToken: expiredToken }), 'post to be refused'),
      (error) => {
        assert.equal(error.name, 'UnauthorizedException');
        assert.equal(error.$metadata?.httpStatusCode, 401);
        return true;
      },
    );
  },
);

test(
  'a wildcard subscription outside the caller\u2019s channels is denied and the socket lives on',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const everyone = await within(events.connect('/users/*', { authToken: token }), 'connect');
    const denied = collector();
    const subscription = everyone.subscribe(denied.observer);
    await assert.rejects(within(subscription.ready, 'subscribe_error'), /UnauthorizedException/);
    const error = await denied.error();
    assert.match(JSON.stringify(error), /UnauthorizedException/);
    assert.deepEqual(denied.events, []);

    // aws-amplify 6.16.4–6.20.0 closed the socket on this and looped reconnecting; the
    // pinned version must not, and local-events must keep the connection: a subscription
    // the rules do allow still succeeds on it.
    const own = await within(events.connect(`/users/${sub}/*`, { authToken: token }), 'connect again');
    const allowed = own.subscribe(collector().observer);
    await within(allowed.ready, 'subscribe_success for the caller\u2019s own channels');
  },
);
