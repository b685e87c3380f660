'use client';
import { useEffect, useState, useTransition } from 'react';

import { live, postFromBrowser, type RealtimeSettings, type Status } from '@/lib/realtime';

import { publishAction } from './actions';

type Received = { id?: string; text?: string; [key: string]: unknown };

export default function Live({ settings }: { settings: RealtimeSettings }) {
  const [status, setStatus] = useState<Status>('connecting');
  const [received, setReceived] = useState<Received[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [renewals, setRenewals] = useState(0);
  const [text, setText] = useState('hello');
  const [outcome, setOutcome] = useState('');
  const [pending, startTransition] = useTransition();

  useEffect(() => {
    const subscription = live(settings, {
      onEvent: (event) => setReceived((all) => [...all, event as Received]),
      onStatus: setStatus,
      onError: (message, permanent) =>
        setErrors((all) => [...all, `${permanent ? 'stopped: ' : ''}${message}`]),
      onRenewed: setRenewals,
    });
    return () => subscription.stop();
  }, [settings]);

  const publishFromServer = () =>
    startTransition(async () => {
      const result = await publishAction(text);
      setOutcome(result.ok ? `published ${result.id}` : `failed: ${result.error}`);
    });

  const publishFromBrowser = () =>
    startTransition(async () => {
      const id = crypto.randomUUID();
      try {
        await postFromBrowser(settings, { id, text, from: 'browser' });
        setOutcome(`posted ${id}`);
      } catch (error) {
        setOutcome(`failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });

  return (
    <section>
      <p>
        Status: <strong data-testid="status">{status}</strong> · token renewals:{' '}
        <span data-testid="renewals">{renewals}</span>
      </p>
      {errors.length > 0 && (
        <ul data-testid="errors" style={{ color: 'crimson' }}>
          {errors.map((message, i) => (
            <li key={i}>{message}</li>
          ))}
        </ul>
      )}
      <div>
        <input value={text} onChange={(e) => setText(e.target.value)} data-testid="text" />
        <button onClick={publishFromServer} disabled={pending} data-testid="publish">
          Publish (server action → publisher)
        </button>
        <button onClick={publishFromBrowser} disabled={pending} data-testid="post">
          Post from the browser (events.post)
        </button>
        <span data-testid="outcome">{outcome}</span>
      </div>
      <ol data-testid="events">
        {received.map((event, i) => (
          <li key={event.id ?? i} data-id={event.id}>
            {event.text ?? JSON.stringify(event)}
          </li>
        ))}
      </ol>
    </section>
  );
}
