// The development issuer: signs users in and mints their access tokens the way local
// Supabase does (HS256 with the project's JWT secret, `aud`/`role` = authenticated), so
// the authorizer running with dev/local.env accepts them. With a real Supabase project,
// replace `signIn`/`refresh` with `supabase.auth.signInWith…` / `refreshSession` on the
// server (@supabase/ssr keeps its session in the same kind of HTTP-only cookie).
import 'server-only';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

import { issuerConfig } from './config';

/** What the session cookie carries: a refresh token, never sent to browser JavaScript. */
export type Session = { sub: string; email: string; anonymous: boolean; sessionId: string };

/** An access token for the realtime API and how many seconds it lives. */
export type AccessToken = { token: string; expiresIn: number };

/** Refresh tokens live 7 days; they are signed with a key derived for this purpose only. */
const REFRESH_TTL_SECONDS = 7 * 24 * 3600;

function refreshKey(): Uint8Array {
  const { secret } = issuerConfig();
  return createHash('sha256').update('nextjs-example refresh token\0').update(secret).digest();
}

/** A stable user id (a UUID, valid in a channel path) for an email address. */
function userId(email: string): string {
  const h = createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Signs a user in (any email: this is the development issuer) and returns its refresh token. */
export async function signIn(email: string | null): Promise<{ refreshToken: string; session: Session }> {
  const anonymous = !email;
  const session: Session = {
    sub: anonymous ? randomUUID() : userId(email),
    email: email ?? '',
    anonymous,
    sessionId: randomUUID(),
  };
  const refreshToken = await new SignJWT({ email: session.email, anon: anonymous, sid: session.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'refresh+jwt' })
    .setSubject(session.sub)
    .setIssuedAt()
    .setExpirationTime(`${REFRESH_TTL_SECONDS}s`)
    .sign(refreshKey());
  return { refreshToken, session };
}

/** The session behind a refresh token, or null if it is invalid or expired. */
export async function readSession(refreshToken: string | undefined): Promise<Session | null> {
  if (!refreshToken) return null;
  try {
    const { payload } = await jwtVerify(refreshToken, refreshKey(), {
      algorithms: ['HS256'],
      typ: 'refresh+jwt',
      requiredClaims: ['sub', 'exp'],
    });
    return {
      sub: String(payload.sub),
      email: String(payload.email ?? ''),
      anonymous: payload.anon === true,
      sessionId: String(payload.sid ?? ''),
    };
  } catch {
    return null;
  }
}

/** A short-lived Supabase-shaped access token for the session. */
export async function accessToken(session: Session): Promise<AccessToken> {
  const { issuer, secret, tokenTtlSeconds } = issuerConfig();
  const now = Math.floor(Date.now() / 1000);
  const exp = now + tokenTtlSeconds;
  const token = await new SignJWT({
    email: session.email,
    role: 'authenticated',
    aal: 'aal1',
    session_id: session.sessionId,
    is_anonymous: session.anonymous,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience('authenticated')
    .setSubject(session.sub)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(secret);
  return { token, expiresIn: tokenTtlSeconds };
}
