// The example in a real browser: Debian's Chromium driven by playwright-core (no browser
// download), headless, trusting local-events' development CA through an NSS database in
// the profile's HOME exactly as docs/local-endpoint.md tells Linux users. Run by
// tests/e2e/tests/browser.rs (cargo test -p e2e --test browser), which starts the real
// authorizer, local-events with TLS and template.yaml, the real publisher, and this app
// (`next start`, built by `next build`) twice: as configured, and without the prefix.
//
// Environment (set by browser.rs; a missing one is a harness bug):
//   APP_URL            the app, configured like a deployment (prefix supabase:)
//   APP_NO_PREFIX_URL  the same build with EVENTS_TOKEN_PREFIX empty
//   EVENTS_URL         https://localhost:<port> (local-events)
//   DEV_CA             local-events' development CA (PEM)
//   INVOKE_URL         a Lambda Invoke API serving the real `publisher` function
//   TOKEN_TTL_SECONDS  how long the app's realtime tokens live
//   CHROMIUM           the browser binary (/usr/bin/chromium)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run this through \`cargo test -p e2e --test browser\``);
  return value;
}

const APP_URL = required('APP_URL');
const APP_NO_PREFIX_URL = required('APP_NO_PREFIX_URL');
const EVENTS_URL = required('EVENTS_URL');
const DEV_CA = required('DEV_CA');
const INVOKE_URL = required('INVOKE_URL');
const TTL_MS = Number(required('TOKEN_TTL_SECONDS')) * 1000;
const CHROMIUM = required('CHROMIUM');

const WAIT_MS = 15_000;

// As root Chromium needs --no-sandbox; the rest keep it from reaching for Google's
// services, which this machine (and CI) cannot reach.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const homes = [];
let trusted;

/** A headless Chromium whose HOME has an NSS database, with the CA imported if `ca`. */
async function launch(ca) {
  const home = mkdtempSync(join(tmpdir(), 'browser-home-'));
  homes.push(home);
  const db = `sql:${join(home, '.pki', 'nssdb')}`;
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
  execFileSync('certutil', ['-d', db, '-N', '--empty-password']);
  if (ca) {
    // docs/local-endpoint.md, "Trusting the development CA", Linux.
    execFileSync('certutil', ['-d', db, '-A', '-t', 'C,,', '-n', 'local-events development CA', '-i', ca]);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    env: { ...process.env, HOME: home },
  });
}

before(async () => {
  trusted = await launch(DEV_CA);
});

after(async () => {
  await trusted?.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** A fresh context (its own cookies) and page, recording its WebSockets and their frames. */
async function openPage(url = APP_URL) {
  const context = await trusted.newContext();
  const page = await context.newPage();
  const sockets = [];
  page.on('websocket', (ws) => {
    const socket = { url: ws.url(), frames: [] };
    sockets.push(socket);
    const record = (direction) => (frame) => {
      try {
        socket.frames.push({ direction, at: Date.now(), ...JSON.parse(String(frame.payload)) });
      } catch {
        /* not JSON */
      }
    };
    ws.on('framesent', record('out'));
    ws.on('framereceived', record('in'));
  });
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(url);
  return { context, page, sockets, pageErrors };
}

async function signIn(page, email) {
  if (email) {
    await page.getByTestId('email').fill(email);
    await page.getByTestId('sign-in').click();
  } else {
    await page.getByTestId('guest').click();
  }
  await page.getByTestId('status').waitFor({ timeout: WAIT_MS });
}

async function waitForStatus(page, status) {
  await page.waitForFunction(
    (s) => document.querySelector('[data-testid="status"]')?.textContent === s,
    status,
    { timeout: WAIT_MS },
  );
}

/** Invokes the real publisher function directly (its Lambda Invoke API). */
async function publishThroughPublisher(channel, events) {
  const response = await fetch(`${INVOKE_URL}/2015-03-31/functions/publisher/invocations`, {
    method: 'POST',
    body: JSON.stringify({ channel, events }),
  });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  assert.deepEqual(answer.failed, [], JSON.stringify(answer));
}

async function receivedIds(page) {
  return page.$$eval('[data-testid="events"] li', (items) => items.map((li) => li.dataset.id));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('the development CA is trusted through the NSS database, and only through it', async () => {
  const untrusted = await launch(null);
  try {
    const page = await untrusted.newPage();
    await assert.rejects(page.goto(`${EVENTS_URL}/_local/events`), /ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await untrusted.close();
  }
  const page = await trusted.newPage();
  const response = await page.goto(`${EVENTS_URL}/_local/events`);
  assert.equal(response.status(), 200);
  await page.close();
});

let signedIn;

test('sign in, connect, and receive an event the server action sends through the publisher', async () => {
  signedIn = await openPage();
  const { page, sockets } = signedIn;
  await signIn(page, 'ada@example.com');
  await waitForStatus(page, 'live');
  const text = `server-${Date.now()}`;
  await page.getByTestId('text').fill(text);
  await page.getByTestId('publish').click();
  await page.getByText(text, { exact: true }).waitFor({ timeout: WAIT_MS });
  // The event can arrive over the socket before the server action's answer renders.
  await page.getByTestId('outcome').filter({ hasText: /^published / }).waitFor({ timeout: WAIT_MS });
  const outcome = await page.getByTestId('outcome').textContent();
  assert.match(outcome, /^published [0-9a-f-]{36}$/);
  assert.equal(sockets.length, 1, 'one WebSocket');
  assert.match(sockets[0].url, /^wss:\/\/localhost:\d+\/event\/realtime$/);
  // The token went in the subprotocol header, wrapped in the prefix.
  const subscribe = sockets[0].frames.find((f) => f.type === 'subscribe');
  assert.match(subscribe.authorization.Authorization, /^supabase:eyJ/);
});

test('the realtime token route never exposes the refresh token to page JavaScript', async () => {
  const { context, page } = signedIn;
  const session = (await context.cookies()).find((c) => c.name === 'session');
  assert.ok(session, 'the session cookie is set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie is readable by scripts');
  const answer = await page.evaluate(async () => {
    const response = await fetch('/api/realtime-token', { method: 'POST' });
    return { status: response.status, text: await response.text(), cache: response.headers.get('cache-control') };
  });
  assert.equal(answer.status, 200);
  assert.equal(answer.cache, 'no-store');
  assert.ok(!answer.text.includes(session.value), 'the refresh token is not in the answer');
  assert.ok(!(await page.content()).includes(session.value), 'nor in the page');
  const body = JSON.parse(answer.text);
  assert.deepEqual(Object.keys(body).sort(), ['channel', 'expiresIn', 'sub', 'token']);
  const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
  assert.equal(claims.exp - claims.iat, TTL_MS / 1000, 'a short-lived access token');
  // Without the cookie, no token.
  const anonymous = await fetch(`${APP_URL}/api/realtime-token`, { method: 'POST' });
  assert.equal(anonymous.status, 401);
});

test('tokens are renewed before they expire and no event is lost across the renewals', async () => {
  const { page, sockets, pageErrors } = signedIn;
  const sub = await page.getByTestId('sub').textContent();
  const channel = `/default/users/${sub}/inbox`;
  const renewalsBefore = Number(await page.getByTestId('renewals').textContent());
  // Publish steadily for a little over two token lifetimes' worth of renewals.
  const sent = [];
  const until = Date.now() + 2 * TTL_MS + 2_000;
  let n = 0;
  while (Date.now() < until) {
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
    await publishThroughPublisher(channel, [{ id, text: `steady ${n}` }]);
    sent.push(id);
    await sleep(100);
  }
  await page.waitForFunction(
    (count) => document.querySelectorAll('[data-testid="events"] li[data-id^="00000000-"]').length >= count,
    sent.length,
    { timeout: WAIT_MS },
  );
  const ids = (await receivedIds(page)).filter((id) => id?.startsWith('00000000-'));
  assert.deepEqual(ids, sent, 'every event exactly once, in order');
  const renewals = Number(await page.getByTestId('renewals').textContent()) - renewalsBefore;
  assert.ok(renewals >= 2, `renewed ${renewals} time(s) in ${2 * TTL_MS + 2_000} ms`);
  assert.equal(await page.getByTestId('errors').count(), 0, 'no error shown');
  assert.deepEqual(pageErrors, []);

  // On the wire: one socket; each renewal subscribes, is confirmed, and only then is the
  // old subscription dropped; no subscription ever reached its expiry.
  assert.equal(sockets.length, 1, 'the socket is reused, not reopened');
  const frames = sockets[0].frames;
  const subscribes = frames.filter((f) => f.type === 'subscribe');
  assert.ok(subscribes.length >= 3, `${subscribes.length} subscribe frames`);
  for (const [i, next] of subscribes.entries()) {
    if (i === 0) continue;
    const previous = subscribes[i - 1];
    const confirmed = frames.find((f) => f.type === 'subscribe_success' && f.id === next.id);
    const dropped = frames.find((f) => f.type === 'unsubscribe' && f.id === previous.id);
    assert.ok(confirmed && dropped, `renewal ${i}: confirmed and old dropped`);
    assert.ok(frames.indexOf(confirmed) < frames.indexOf(dropped), `renewal ${i}: confirmed before the old one is dropped`);
  }
  assert.equal(frames.filter((f) => f.type === 'subscribe_error').length, 0);
});

test('publishing from another origin works (CORS): events.post from the page', async () => {
  const { page } = signedIn;
  assert.notEqual(new URL(APP_URL).origin, new URL(EVENTS_URL).origin);
  const text = `browser-${Date.now()}`;
  await page.getByTestId('text').fill(text);
  await page.getByTestId('post').click();
  await page.getByText(text, { exact: true }).waitFor({ timeout: WAIT_MS });
  assert.match(await page.getByTestId('outcome').textContent(), /^posted /);
  await signedIn.context.close();
});

/** Waits until one error is shown, then `quietMs` more, and returns what happened. */
async function refusedOnce(page, sockets, quietMs) {
  await page.getByTestId('errors').locator('li').first().waitFor({ timeout: WAIT_MS });
  await waitForStatus(page, 'stopped');
  await sleep(quietMs);
  const errors = await page.getByTestId('errors').locator('li').allTextContents();
  return { errors, sockets: sockets.length };
}

test('a refused token surfaces an error once and the page does not reconnect in a loop', async () => {
  // The authorizer refuses anonymous users (allowAnonymous: false).
  const { context, page, sockets } = await openPage();
  await signIn(page, null);
  const { errors, sockets: opened } = await refusedOnce(page, sockets, 8_000);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^stopped: .*Unauthorized/);
  assert.equal(opened, 1, 'one WebSocket in 8 s: no reconnect loop');
  const refusal = sockets[0].frames.find((f) => f.type === 'connection_error');
  assert.equal(refusal?.errors?.[0]?.errorType, 'UnauthorizedException');
  await context.close();
});

test('a client configured without the prefix is refused by local-events as AppSync would', async () => {
  const { context, page, sockets } = await openPage(APP_NO_PREFIX_URL);
  await signIn(page, 'ada@example.com');
  const { errors, sockets: opened } = await refusedOnce(page, sockets, 3_000);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^stopped: .*Unauthorized/);
  assert.equal(opened, 1);
  const refusal = sockets[0].frames.find((f) => f.type === 'connection_error');
  assert.equal(refusal?.errors?.[0]?.errorType, 'UnauthorizedException');
  assert.match(refusal.errors[0].message, /IdentityValidationExpression/);
  await context.close();
});
