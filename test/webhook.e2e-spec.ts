import { createHmac } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MessageQueue } from './support/message-queue.js';
import { startServer, type TestServer } from './support/server.js';
import { type Json, WsClient } from './support/ws-client.js';
import { useCleanup } from './support/cleanup.js';

const SECRET = 'a webhook secret of some length';

interface Delivery {
  body: string;
  signature: string | undefined;
  events: Json[];
}

/** The backend's side of the webhook: a real HTTP server answering as `respond` says. */
async function receiver(
  respond: (delivery: Delivery, response: ServerResponse) => void = (
    _,
    response,
  ) => response.end('ok'),
) {
  const deliveries = new MessageQueue<Delivery>();
  const http: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (text: string) => (body += text));
    request.on('end', () => {
      const delivery = {
        body,
        signature: request.headers['x-pushgate-signature'] as
          string | undefined,
        events: JSON.parse(body).events,
      };
      deliveries.push(delivery);
      respond(delivery, response);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/pushgate`;
  return { http, url, deliveries };
}

describe('the webhook', () => {
  const cleanup = useCleanup();

  async function pushgate(
    url: string,
    env: Record<string, string> = {},
  ): Promise<TestServer> {
    const server = await startServer({
      PUSH_WEBHOOK_URL: url,
      PUSH_WEBHOOK_SECRET: SECRET,
      PUSH_WEBHOOK_BATCH_MS: '50',
      ...env,
    });
    cleanup.push(() => server.close());
    return server;
  }

  async function browser(url: string): Promise<WsClient> {
    const tab = await WsClient.connect(url);
    cleanup.push(() => tab.socket.terminate());
    return tab;
  }

  it('POSTs lifecycle events in batches, signed with HMAC-SHA256 of the body', async () => {
    const backend = await receiver();
    cleanup.push(() => backend.http.close());
    const server = await pushgate(backend.url);

    const tab = await browser(server.wsUrl);
    const { client_id } = await tab.init('ann');
    tab.socket.close(4000, 'bye');

    const events: Json[] = [];
    while (events.length < 3) {
      const delivery = await backend.deliveries.next();
      expect(delivery.signature).toBe(
        `sha256=${createHmac('sha256', SECRET).update(delivery.body).digest('hex')}`,
      );
      events.push(...delivery.events);
    }
    expect(events).toEqual([
      {
        event: 'pushgate.client.connected',
        at: expect.any(Number),
        client_id,
        remote_address: '127.0.0.1',
      },
      {
        event: 'pushgate.client.bound',
        at: expect.any(Number),
        client_id,
        uid: 'ann',
      },
      {
        event: 'pushgate.client.disconnected',
        at: expect.any(Number),
        client_id,
        uid: 'ann',
        groups: [],
        code: 4000,
        reason: 'bye',
      },
    ]);
  });

  it('sends many events in few requests', async () => {
    const backend = await receiver();
    cleanup.push(() => backend.http.close());
    const server = await pushgate(backend.url, {
      PUSH_WEBHOOK_BATCH_MS: '200',
    });

    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        browser(server.wsUrl).then((tab) => tab.init(`u${i}`)),
      ),
    );

    let events = 0;
    let requests = 0;
    while (events < 40) {
      events += (await backend.deliveries.next()).events.length;
      requests++;
    }
    expect(requests).toBeLessThan(5);
  });

  it('retries a batch the backend failed to take, with backoff', async () => {
    let calls = 0;
    const backend = await receiver((_, response) => {
      response.statusCode = ++calls < 3 ? 503 : 200;
      response.end();
    });
    cleanup.push(() => backend.http.close());
    const server = await pushgate(backend.url);

    await browser(server.wsUrl);
    const attempts = [
      await backend.deliveries.next(),
      await backend.deliveries.next(),
      await backend.deliveries.next(),
    ];
    expect(attempts.map((a) => a.body)).toEqual(
      Array(3).fill(attempts[0].body),
    );
    expect(attempts[0].events[0].event).toBe('pushgate.client.connected');
  });

  it('keeps at most PUSH_WEBHOOK_MAX_QUEUE events while the backend is slow, dropping the oldest', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const backend = await receiver((_, response) => {
      if (first) {
        first = false;
        void held.then(() => response.end());
      } else {
        response.end();
      }
    });
    cleanup.push(() => backend.http.close());
    const server = await pushgate(backend.url, { PUSH_WEBHOOK_MAX_QUEUE: '5' });

    const opener = await browser(server.wsUrl);
    expect((await backend.deliveries.next()).events).toHaveLength(1); // held by the backend
    const tabs = [];
    for (let i = 0; i < 12; i++) {
      const tab = await browser(server.wsUrl);
      tabs.push((await tab.init(`u${i}`)).client_id);
    }
    release();

    const { events } = await backend.deliveries.next();
    expect(events).toHaveLength(5);
    expect(events.map((e: Json) => e.uid ?? null)).toEqual([
      'u9',
      null,
      'u10',
      null,
      'u11',
    ]);
    expect(opener.socket.readyState).toBe(opener.socket.OPEN);
  });
});
