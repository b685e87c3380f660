// The session cookie: HTTP-only (browser JavaScript never sees the refresh token),
// SameSite=Lax, Secure except on http://localhost.
import 'server-only';
import { cookies, headers } from 'next/headers';

import { readSession, type Session } from './issuer';

export const SESSION_COOKIE = 'session';

async function secureContext(): Promise<boolean> {
  const h = await headers();
  const host = h.get('host') ?? '';
  const proto = h.get('x-forwarded-proto');
  return proto === 'https' || !/^(localhost|127\.0\.0\.1)(:\d+)?$/.test(host);
}

export async function setSessionCookie(refreshToken: string): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, refreshToken, {
    httpOnly: true,
    sameSite: 'lax',
    secure: await secureContext(),
    path: '/',
    maxAge: 7 * 24 * 3600,
  });
}

export async function clearSessionCookie(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
}

export async function currentSession(): Promise<Session | null> {
  return readSession((await cookies()).get(SESSION_COOKIE)?.value);
}
