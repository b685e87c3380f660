// Publishing from the server goes through the publisher function (never from the browser
// with the user's token): it signs the request with its own role (AWS_IAM), so the
// channel rules that limit users do not limit the server. Locally, LAMBDA_ENDPOINT points
// the Lambda client at `cargo lambda watch` (./scripts/dev.sh); deployed, it is unset.
import 'server-only';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

import { publisherConfig } from './config';

let client: LambdaClient | undefined;

function lambda(): LambdaClient {
  const { endpoint, region } = publisherConfig();
  client ??= new LambdaClient({ region, endpoint, maxAttempts: 2 });
  return client;
}

/** Publishes `events` to `channel` through the publisher; throws with its error. */
export async function publish(channel: string, events: unknown[]): Promise<void> {
  const { functionName } = publisherConfig();
  const answer = await lambda().send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify({ channel, events })),
    }),
  );
  const body = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  if (answer.FunctionError) {
    throw new Error(`the publisher failed (${answer.FunctionError}): ${body}`);
  }
  const result = JSON.parse(body) as { published?: number; failed?: unknown[] };
  if (result.failed?.length) {
    throw new Error(`the publisher could not publish ${result.failed.length} event(s): ${body}`);
  }
}
