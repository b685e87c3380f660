// The comparison baseline for the Rust `publisher`: a Node.js Lambda handler that
// publishes to an AppSync Events API the way AWS shows it — the AWS SDK for JavaScript
// v3's SigV4 signer (`@smithy/signature-v4` with `@aws-crypto/sha256-js`), credentials
// from the SDK's default provider chain (the execution role's variables in Lambda) and
// the runtime's global `fetch`, POST https://<domain>/event with `service: "appsync"`.
//
// It takes the direct-invoke input the Rust function takes in this benchmark — an array
// of `{ channel, events: [...] }` — and does the same work: events sent as
// `JSON.stringify`ed strings, at most 5 per request (the HTTP endpoint's limit), a
// channel's requests one after another (order), channels in parallel up to
// PUBLISH_CONCURRENCY (4, the Rust default), and the same kind of answer
// (`{ published, failed: [...] }`) plus one JSON log line per invocation.
//
// Run by runtime.mjs (the Runtime API loop); environment: EVENTS_ENDPOINT (a URL,
// `http://` on loopback in the benchmark), AWS_REGION and the AWS_* credentials.

import { Sha256 } from "@aws-crypto/sha256-js";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SignatureV4 } from "@smithy/signature-v4";

const endpoint = new URL(process.env.EVENTS_ENDPOINT);
if (!endpoint.pathname.endsWith("/event")) endpoint.pathname = "/event";
const concurrency = Number(process.env.PUBLISH_CONCURRENCY ?? 4);
const MAX_EVENTS_PER_REQUEST = 5;

const signer = new SignatureV4({
  credentials: defaultProvider(),
  region: process.env.AWS_REGION,
  service: "appsync",
  sha256: Sha256,
});

async function publish(channel, events) {
  const body = JSON.stringify({ channel, events: events.map((e) => JSON.stringify(e)) });
  const signed = await signer.sign({
    method: "POST",
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : undefined,
    path: endpoint.pathname,
    headers: { "content-type": "application/json", host: endpoint.host },
    body,
  });
  const res = await fetch(endpoint, { method: "POST", headers: signed.headers, body });
  if (!res.ok) throw new Error(`publish to ${channel}: HTTP ${res.status} ${await res.text()}`);
  const answer = await res.json();
  return {
    published: answer.successful?.length ?? 0,
    failed: (answer.failed ?? []).map((f) => ({ channel, index: f.index, reason: f.errorMessage ?? f.code })),
  };
}

async function publishChannel({ channel, events }) {
  let published = 0;
  const failed = [];
  for (let i = 0; i < events.length; i += MAX_EVENTS_PER_REQUEST) {
    const r = await publish(channel, events.slice(i, i + MAX_EVENTS_PER_REQUEST));
    published += r.published;
    failed.push(...r.failed.map((f) => ({ ...f, index: i + f.index })));
  }
  return { published, failed };
}

export const handler = async (event, context) => {
  const inputs = Array.isArray(event) ? event : [event];
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const input = inputs[next++];
      results.push(await publishChannel(input));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  const published = results.reduce((n, r) => n + r.published, 0);
  const failed = results.flatMap((r) => r.failed);
  console.log(JSON.stringify({
    level: "INFO", message: "published", published, failed: failed.length, request_id: context.awsRequestId,
  }));
  return { published, failed };
};
