import { publicConfig } from '@/lib/server/config';
import { currentSession } from '@/lib/server/session';

import { signInAction, signOutAction } from './actions';
import Live from './live';

// Reads the session cookie on every request.
export const dynamic = 'force-dynamic';

export default async function Home() {
  const session = await currentSession();
  if (!session) {
    return (
      <main>
        <h1>Sign in</h1>
        <p>Against the development issuer: any address works.</p>
        <form action={signInAction}>
          <input name="email" type="email" placeholder="you@example.com" data-testid="email" />
          <button type="submit" data-testid="sign-in">Sign in</button>
        </form>
        <form action={signInAction}>
          <input type="hidden" name="guest" value="1" />
          <button type="submit" data-testid="guest">Continue as a guest (anonymous)</button>
        </form>
      </main>
    );
  }
  const settings = publicConfig();
  return (
    <main>
      <h1>Live events</h1>
      <p>
        Signed in as <span data-testid="who">{session.anonymous ? 'a guest' : session.email}</span>{' '}
        (<code data-testid="sub">{session.sub}</code>)
      </p>
      <Live settings={settings} />
      <form action={signOutAction}>
        <button type="submit">Sign out</button>
      </form>
    </main>
  );
}
