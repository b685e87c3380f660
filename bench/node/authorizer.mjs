// The comparison baseline: an AppSync Events Lambda authorizer built on aws-jwt-verify,
// doing what the Rust `authorizer` does in the benchmark configuration, under a minimal
// custom-runtime loop (poll /next, post /response) so both run under the same harness.
//
// Equivalent checks: signature with keys from the issuer's JWKS (fetched at init,
// `hydrate()`, like the Rust prefetch; parsed keys cached per kid by aws-jwt-verify),
// `iss`, `aud` = authenticated, `exp`/`nbf`, `sub` a non-empty string, and the channel
// rule `/users/{sub}/*` for subscribe/publish; the same answer (handlerContext with sub,
// iss and Supabase's role/aal/session_id/is_anonymous; ttlOverride 0 for a
// channel-dependent allow, else min(300, seconds to exp)); one JSON log line per decision.
//
// aws-jwt-verify fetches only over https; the benchmark's key set is served on loopback
// over plain http (as it is to the Rust function), so a small http fetcher is plugged in
// through aws-jwt-verify's documented `fetcher` seam.
//
// Not committed with node_modules: `cargo xtask bench authorizer` copies this folder to
// target/bench/node and installs package-lock.json's aws-jwt-verify there (`npm ci`).
//
// Environment: AWS_LAMBDA_RUNTIME_API, JWT_ISSUER, JWT_JWKS_URL.

import http from "node:http";
import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

const API = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const CACHE_TTL_SECONDS = 300;
const CONTEXT_CLAIMS = ["sub", "iss", "role", "aal", "session_id", "is_anonymous"];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET/POST over a kept-alive loopback connection; resolves to { status, headers, body }. */
function request(url, { method = "GET", body, timeout = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, timeout }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.setHeader("content-type", "application/json");
    req.end(body);
  });
}

/** aws-jwt-verify's Fetcher interface, over http (loopback only in this benchmark). */
class LoopbackFetcher {
  async fetch(uri) {
    const res = await request(uri, { timeout: 1500 });
    if (res.status !== 200) throw new Error(`status ${res.status} from ${uri}`);
    return res.body.buffer.slice(res.body.byteOffset, res.body.byteOffset + res.body.byteLength);
  }
}

const verifier = JwtVerifier.create(
  { issuer: process.env.JWT_ISSUER, audience: "authenticated", jwksUri: process.env.JWT_JWKS_URL },
  { jwksCache: new SimpleJwksCache({ fetcher: new LoopbackFetcher() }) },
);

function contextOf(payload) {
  const context = {};
  for (const name of CONTEXT_CLAIMS) {
    const v = payload[name];
    if (v === undefined || v === null) continue;
    context[name] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return context;
}

async function decide(event) {
  const ctx = event?.requestContext ?? {};
  const operation = ctx.operation;
  let token = String(event?.authorizationToken ?? "").trim();
  if (/^bearer\s/i.test(token)) token = token.slice(6).trim();
  let payload;
  try {
    payload = await verifier.verify(token);
  } catch (e) {
    return { allowed: false, reason: e?.constructor?.name ?? "invalid" };
  }
  if (typeof payload.sub !== "string" || payload.sub === "") return { allowed: false, reason: "subject_missing" };
  let ttl = Math.max(0, Math.min(CACHE_TTL_SECONDS, payload.exp - Math.floor(Date.now() / 1000)));
  if (operation === "EVENT_SUBSCRIBE" || operation === "EVENT_PUBLISH") {
    const channel = ctx.channel;
    if (typeof channel !== "string" || !channel.startsWith(`/users/${payload.sub}/`)) {
      return { allowed: false, reason: "no_rule_matches", issuer: payload.iss };
    }
    ttl = 0;
  } else if (operation !== "EVENT_CONNECT") {
    return { allowed: false, reason: "unknown_operation" };
  }
  return { allowed: true, reason: "allowed", issuer: payload.iss, context: contextOf(payload), ttl };
}

async function handle(event, requestId) {
  const started = process.hrtime.bigint();
  const d = await decide(event);
  const ctx = event?.requestContext ?? {};
  console.log(JSON.stringify({
    level: "INFO", message: "authorization decision", decision: d.allowed ? "allow" : "deny",
    reason: d.reason, flavour: "events", operation: ctx.operation ?? "", channel: ctx.channel ?? "",
    issuer: d.issuer ?? "", ttl: d.ttl ?? 0, request_id: requestId, appsync_request_id: ctx.requestId ?? "",
    verify_us: Number((process.hrtime.bigint() - started) / 1000n),
  }));
  return d.allowed
    ? { isAuthorized: true, handlerContext: d.context, ttlOverride: d.ttl }
    : { isAuthorized: false, ttlOverride: 0 };
}

async function main() {
  try {
    await verifier.hydrate();
  } catch (e) {
    // Like the Rust function: logged, not fatal; requests are denied until keys load.
    console.error(JSON.stringify({ level: "WARN", message: "key set not available at init", error: String(e) }));
  }
  for (;;) {
    const next = await request(`${API}/invocation/next`);
    const id = next.headers["lambda-runtime-aws-request-id"];
    let answer;
    try {
      answer = await handle(JSON.parse(next.body), id);
    } catch (e) {
      await request(`${API}/invocation/${id}/error`, {
        method: "POST",
        body: JSON.stringify({ errorType: "Error", errorMessage: String(e?.message ?? e) }),
      });
      continue;
    }
    await request(`${API}/invocation/${id}/response`, { method: "POST", body: JSON.stringify(answer) });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
