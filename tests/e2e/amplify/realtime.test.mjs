// The real aws-amplify Events client, in Lambda mode with a prefixed Supabase-shaped token,
// against local-events and the real authorizer: subscribe, then receive what the real
// publisher function sends (IAM-signed), what `events.post` sends, and what
// `channel.publish` sends over the WebSocket.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { events } from 'aws-amplify/data';
import {
  TEST_TIMEOUT_MS,
  collector,
  publishThroughPublisher,
  sub,
  token,
  within,
} from './lib/harness.mjs';

afterEach(async () => {
  // The open socket and Amplify's 5 s heartbeat would keep the process alive.
  await events.closeAll();
});

test(
  'a subscriber receives what the publisher function publishes, IAM-signed, in order',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const channelName = `/users/${sub}/inbox`;
    const channel = await within(events.connect(channelName, { authToken: token }), 'connect');
    const inbox = collector();
    const subscription = channel.subscribe(inbox.observer);
    await within(subscription.ready, 'subscribe_success');

    const answer = await publishThroughPublisher({
      channel: channelName,
      events: [
        { from: 'publisher', n: 1 },
        { from: 'publisher', n: 2 },
      ],
    });
    assert.deepEqual(answer, { published: 2, failed: [] });

    assert.deepEqual(await inbox.take(2, 'the two published events'), [
      { from: 'publisher', n: 1 },
      { from: 'publisher', n: 2 },
    ]);
    assert.deepEqual(inbox.errors, []);
    subscription.unsubscribe();
  },
);

test(
  'events.post with authToken reaches a wildcard subscriber the channel rules allow',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const channel = await within(events.connect('/public/*', { authToken: token }), 'connect');
    const news = collector();
    const subscription = channel.subscribe(news.observer);
    await within(subscription.ready, 'subscribe_success');

    // `post` keeps no token from `connect`: it must be passed on every call. It resolves to
    // undefined when every event was accepted, and to the failed ones otherwise.
    const failed = await within(
      events.post('/public/news', [{ headline: 'first' }, { headline: 'second' }], { authToken: token }),
      'events.post',
    );
    assert.equal(failed, undefined);

    assert.deepEqual(await news.take(2, 'the two posted events'), [
      { headline: 'first' },
      { headline: 'second' },
    ]);
    assert.deepEqual(news.errors, []);
  },
);

test(
  'channel.publish over the WebSocket reaches the subscribers, the publisher included',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const channelName = `/users/${sub}/chat`;
    const listener = await within(events.connect(channelName, { authToken: token }), 'connect');
    const heard = collector();
    const listening = listener.subscribe(heard.observer);
    await within(listening.ready, 'subscribe_success');

    // A second channel object on the same socket, as a chat UI would hold one per room.
    const speaker = await within(events.connect(channelName, { authToken: token }), 'second connect');
    const echo = collector();
    const echoing = speaker.subscribe(echo.observer);
    await within(echoing.ready, 'second subscribe_success');

    // The token given to connect is inherited by publish; it resolves on publish_success
    // and has no timeout of its own, hence `within`.
    await within(speaker.publish({ text: 'hello over ws' }), 'publish_success');
    await within(speaker.publish([{ text: 'one' }, { text: 'two' }]), 'publish_success for a batch');

    const expected = [{ text: 'hello over ws' }, { text: 'one' }, { text: 'two' }];
    assert.deepEqual(await heard.take(3, 'the published events on the first channel'), expected);
    assert.deepEqual(await echo.take(3, 'the published events on the second channel'), expected);
    assert.deepEqual([...heard.errors, ...echo.errors], []);
  },
);
