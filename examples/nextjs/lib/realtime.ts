// The browser half: Amplify Events in Lambda mode with short-lived tokens that this app's
// server hands out from the HTTP-only session cookie (POST /api/realtime-token).
//
// What it gets right, and why:
// - Lambda mode takes the token per call (`events.connect(channel, { authToken })`); there
//   is no token in `Amplify.configure`, which is what "No auth token specified" means.
// - The token is wrapped in the stack's TokenPrefix/TokenSuffix: AppSync's
//   IdentityValidationExpression refuses a bare JWT before the authorizer runs.
// - It refreshes BEFORE expiry (a margin of a quarter of the token's life, at most 30 s),
//   because an allow is only as good as the token, and a subscription must not depend on
//   outliving it.
// - On refresh it subscribes again with the new token and waits for that subscription to
//   be confirmed (`ready`) before it drops the old one, so there is no moment with nothing
//   subscribed; events seen on both are delivered once (by their `id`). Amplify reuses the
//   open WebSocket for the new channel, so this renews the subscription, not the socket.
// - A refusal of a token it has just fetched is permanent (wrong prefix, user not allowed,
//   channel rules): it is reported once and nothing is retried, so no reconnect loop.
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';

export type RealtimeSettings = {
  /** `https://<host>/event` of the Events API (or local-events with TLS). */
  endpoint: string;
  region: string;
  tokenPrefix: string;
  tokenSuffix: string;
  /** The route that turns the session cookie into an access token. */
  tokenRoute?: string;
};

export type Status = 'connecting' | 'live' | 'refreshing' | 'retrying' | 'stopped';

export type LiveHandlers = {
  onEvent(event: Record<string, unknown>): void;
  onStatus?(status: Status): void;
  /** `permanent`: nothing more will be tried until `live` is called again. */
  onError?(message: string, permanent: boolean): void;
  /** After each completed renewal, with how many there were so far. */
  onRenewed?(renewals: number): void;
};

/** What the token route answers. */
type Issued = { token: string; expiresIn: number; channel: string; sub: string };

/** Most ids remembered to drop the duplicates that arrive while two subscriptions overlap. */
const SEEN_LIMIT = 1000;
/** The longest margin before expiry at which a token is renewed. */
const MAX_MARGIN_MS = 30_000;
/** Retry delays after a failure that is not a refusal (network, a 5xx from the route). */
const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

let configuredEndpoint: string | undefined;

/** Configures Amplify Events in Lambda mode (no token here: it goes with each call). */
export function configureRealtime(settings: RealtimeSettings): void {
  if (configuredEndpoint === settings.endpoint) return;
  Amplify.configure({
    API: {
      Events: {
        endpoint: settings.endpoint,
        region: settings.region,
        defaultAuthMode: 'lambda',
      },
    },
  });
  configuredEndpoint = settings.endpoint;
}

/** When to renew a token fetched at `fetchedAt` (local clock) that lives `expiresIn` s. */
export function renewAt(fetchedAt: number, expiresIn: number): number {
  const lifetime = expiresIn * 1000;
  const margin = Math.min(MAX_MARGIN_MS, lifetime / 4);
  return fetchedAt + lifetime - margin;
}

class Refused extends Error {}

function isRefusal(error: unknown): boolean {
  const text = error instanceof Error ? error.message : JSON.stringify(error);
  return /Unauthorized|BadRequestException|Forbidden/.test(text);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const errors = (error as { errors?: { message?: string }[] })?.errors;
  return errors?.[0]?.message ?? JSON.stringify(error);
}

async function fetchToken(route: string): Promise<{ issued: Issued; fetchedAt: number }> {
  const fetchedAt = Date.now();
  const response = await fetch(route, { method: 'POST', credentials: 'same-origin', cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    throw new Refused(`the token route refused: HTTP ${response.status} (signed out?)`);
  }
  if (!response.ok) throw new Error(`the token route answered HTTP ${response.status}`);
  const issued = (await response.json()) as Issued;
  // Timed from before the request, on this clock: a skewed client clock cannot delay it.
  return { issued, fetchedAt };
}

type Open = { close(): void; generation: number; renewAt: number };

/**
 * Subscribes to the signed-in user's channel and keeps the subscription alive across
 * token renewals until `stop()`.
 */
export function live(settings: RealtimeSettings, handlers: LiveHandlers): { stop(): void } {
  configureRealtime(settings);
  const route = settings.tokenRoute ?? '/api/realtime-token';
  const seen = new Set<string>();
  let stopped = false;
  let current: Open | undefined;
  let generation = 0;
  let renewals = 0;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const status = (s: Status) => handlers.onStatus?.(s);

  const deliver = (event: Record<string, unknown>) => {
    const id = typeof event?.id === 'string' ? event.id : undefined;
    if (id) {
      if (seen.has(id)) return;
      seen.add(id);
      if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
    }
    handlers.onEvent(event);
  };

  const fail = (error: unknown) => {
    if (stopped) return;
    const permanent = error instanceof Refused || isRefusal(error);
    handlers.onError?.(describe(error), permanent);
    if (permanent) {
      stop();
      return;
    }
    const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
    failures += 1;
    status('retrying');
    schedule(Date.now() + delay);
  };

  // Subscribes with a freshly fetched token; resolves once AppSync confirmed it.
  const open = async (): Promise<Open> => {
    const { issued, fetchedAt } = await fetchToken(route);
    const authToken = `${settings.tokenPrefix}${issued.token}${settings.tokenSuffix}`;
    const mine = ++generation;
    const channel = await events.connect(issued.channel, { authToken });
    const subscription = channel.subscribe({
      next: (data) => deliver(data.event as Record<string, unknown>),
      error: (error: unknown) => {
        // Only the subscription in use matters; an old one may end at its expiry.
        if (current?.generation !== mine) return;
        const overdue = Date.now() >= current.renewAt;
        current = undefined;
        // Ended after its renewal time (a throttled timer in a sleeping tab): not a
        // refusal of a fresh token, so subscribe again with one; a refusal then is final.
        if (overdue) void renew();
        else fail(error);
      },
    });
    try {
      await subscription.ready;
    } catch (error) {
      channel.close();
      throw error;
    }
    return {
      generation: mine,
      renewAt: renewAt(fetchedAt, issued.expiresIn),
      close: () => {
        subscription.unsubscribe();
        channel.close();
      },
    };
  };

  const renew = async () => {
    if (stopped) return;
    status(current ? 'refreshing' : 'connecting');
    try {
      const next = await open();
      if (stopped) {
        next.close();
        return;
      }
      // The new subscription is confirmed: only now let go of the old one.
      const previous = current;
      current = next;
      previous?.close();
      if (previous) handlers.onRenewed?.(++renewals);
      failures = 0;
      status('live');
      schedule(next.renewAt);
    } catch (error) {
      fail(error);
    }
  };

  const schedule = (at: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(renew, Math.max(0, at - Date.now()));
  };

  // Timers are throttled in background tabs: check again when the tab comes back.
  const onVisible = () => {
    if (document.visibilityState === 'visible' && current && Date.now() >= current.renewAt) {
      void renew();
    }
  };

  function stop() {
    stopped = true;
    clearTimeout(timer);
    current?.close();
    current = undefined;
    document.removeEventListener('visibilitychange', onVisible);
    status('stopped');
  }

  document.addEventListener('visibilitychange', onVisible);
  void renew();
  return { stop };
}

/**
 * Publishes `event` from the browser with the user's own token (`events.post`, HTTP): a
 * cross-origin request from this app's origin to the Events API, allowed by its CORS.
 * Goes to `<the user's channel>/browser`, which the channel rules let the user write.
 */
export async function postFromBrowser(
  settings: RealtimeSettings,
  event: Record<string, unknown>,
): Promise<void> {
  configureRealtime(settings);
  const { issued } = await fetchToken(settings.tokenRoute ?? '/api/realtime-token');
  const channel = issued.channel.replace(/\/\*$/, '/browser');
  const authToken = `${settings.tokenPrefix}${issued.token}${settings.tokenSuffix}`;
  const failed = await events.post(channel, event as never, { authToken });
  if (failed && failed.length > 0) throw new Error(`not published: ${JSON.stringify(failed)}`);
}
