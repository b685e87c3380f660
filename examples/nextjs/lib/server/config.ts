// The server's configuration, read once from the environment. Nothing here reaches the
// browser except what `publicConfig` returns (endpoint, prefix/suffix, namespace), so
// the deployed endpoint and prefix are runtime settings, not build-time ones.
import 'server-only';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set (see examples/nextjs/local.env)`);
  }
  return value;
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 10 || value > 3600) {
    throw new Error(`${name} must be a whole number of seconds from 10 to 3600, got ${raw}`);
  }
  return value;
}

export type PublicConfig = {
  /** `https://<host>/event` of the Events API (or local-events). */
  endpoint: string;
  region: string;
  tokenPrefix: string;
  tokenSuffix: string;
  namespace: string;
};

export function publicConfig(): PublicConfig {
  const endpoint = required('EVENTS_API_ENDPOINT');
  if (!/^https?:\/\/[^/]+\/event$/.test(endpoint)) {
    // Amplify appends /realtime to the string as given: a trailing slash breaks it.
    throw new Error(`EVENTS_API_ENDPOINT must be <origin>/event, got ${endpoint}`);
  }
  return {
    endpoint,
    region: process.env.AWS_REGION || 'us-east-1',
    tokenPrefix: process.env.EVENTS_TOKEN_PREFIX ?? '',
    tokenSuffix: process.env.EVENTS_TOKEN_SUFFIX ?? '',
    namespace: process.env.EVENTS_NAMESPACE || 'default',
  };
}

export function issuerConfig() {
  if (process.env.DEV_ISSUER !== '1') {
    throw new Error(
      'DEV_ISSUER is not 1: this example only signs users in against the development issuer; ' +
        'plug your identity provider into lib/server/issuer.ts',
    );
  }
  return {
    issuer: required('JWT_ISSUER'),
    secret: new TextEncoder().encode(required('JWT_SECRET')),
    tokenTtlSeconds: seconds('REALTIME_TOKEN_TTL_SECONDS', 300),
  };
}

export function publisherConfig() {
  return {
    functionName: process.env.PUBLISHER_FUNCTION || 'publisher',
    endpoint: process.env.LAMBDA_ENDPOINT || undefined,
    region: process.env.AWS_REGION || 'us-east-1',
  };
}
