// A minimal Lambda custom-runtime loop for a Node handler file, as the managed Node
// runtime does it: poll /invocation/next, call `handler(event, context)`, post the answer
// to /response (or the error to /error). The same loop as authorizer.mjs's, with the
// handler imported from the file named on the command line.
//
// Usage: node runtime.mjs ./publisher.mjs   (environment: AWS_LAMBDA_RUNTIME_API, …)

import http from "node:http";
import { pathToFileURL } from "node:url";
import path from "node:path";

const API = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(url, { method = "GET", body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent }, (res) => {
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

async function main() {
  const file = process.argv[2];
  if (!file) throw new Error("usage: node runtime.mjs <handler file>");
  let handler;
  try {
    ({ handler } = await import(pathToFileURL(path.resolve(file)).href));
  } catch (e) {
    await request(`${API}/init/error`, {
      method: "POST",
      body: JSON.stringify({ errorType: "Runtime.ImportModuleError", errorMessage: String(e?.message ?? e) }),
    });
    throw e;
  }
  for (;;) {
    const next = await request(`${API}/invocation/next`);
    const id = next.headers["lambda-runtime-aws-request-id"];
    const context = { awsRequestId: id, getRemainingTimeInMillis: () => Number(next.headers["lambda-runtime-deadline-ms"]) - Date.now() };
    let answer;
    try {
      answer = await handler(JSON.parse(next.body), context);
    } catch (e) {
      await request(`${API}/invocation/${id}/error`, {
        method: "POST",
        body: JSON.stringify({ errorType: e?.name ?? "Error", errorMessage: String(e?.message ?? e) }),
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
