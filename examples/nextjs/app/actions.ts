'use server';
// Server actions: sign in / out against the development issuer (the session goes into
// the HTTP-only cookie), and publish to the signed-in user's channel through the
// publisher function.
import { randomUUID } from 'node:crypto';
import { redirect } from 'next/navigation';

import { publicConfig } from '@/lib/server/config';
import { signIn } from '@/lib/server/issuer';
import { publish } from '@/lib/server/publisher';
import { clearSessionCookie, currentSession, setSessionCookie } from '@/lib/server/session';

export async function signInAction(form: FormData): Promise<void> {
  const guest = form.get('guest') === '1';
  const email = String(form.get('email') ?? '').trim();
  const { refreshToken } = await signIn(guest ? null : email || 'dev@example.com');
  await setSessionCookie(refreshToken);
  redirect('/');
}

export async function signOutAction(): Promise<void> {
  await clearSessionCookie();
  redirect('/');
}

export type PublishResult = { ok: true; id: string } | { ok: false; error: string };

/** Publishes `{id, text, at}` to /<namespace>/users/<sub>/inbox. */
export async function publishAction(text: string): Promise<PublishResult> {
  const session = await currentSession();
  if (!session) return { ok: false, error: 'not signed in' };
  const id = randomUUID();
  try {
    const { namespace } = publicConfig();
    await publish(`/${namespace}/users/${session.sub}/inbox`, [{ id, text, at: Date.now() }]);
    return { ok: true, id };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
