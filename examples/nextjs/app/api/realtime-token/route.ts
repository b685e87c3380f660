// POST /api/realtime-token: reads the HTTP-only session cookie on the server and answers
// with a short-lived access token for the realtime API. The refresh token stays in the
// cookie; the answer carries only the access token, its expiry and the user's channel.
import { NextResponse } from 'next/server';

import { accessToken } from '@/lib/server/issuer';
import { currentSession } from '@/lib/server/session';
import { publicConfig } from '@/lib/server/config';

const noStore = { 'cache-control': 'no-store' };

export async function POST(request: Request) {
  // A token endpoint answers its own pages only: refuse cross-site calls outright (the
  // browser would not let another origin read the answer anyway).
  const site = request.headers.get('sec-fetch-site');
  if (site && site !== 'same-origin') {
    return NextResponse.json({ error: 'cross-site request' }, { status: 403, headers: noStore });
  }
  const session = await currentSession();
  if (!session) {
    return NextResponse.json({ error: 'not signed in' }, { status: 401, headers: noStore });
  }
  const { token, expiresIn } = await accessToken(session);
  const { namespace } = publicConfig();
  return NextResponse.json(
    { token, expiresIn, sub: session.sub, channel: `/${namespace}/users/${session.sub}/*` },
    { headers: noStore },
  );
}
