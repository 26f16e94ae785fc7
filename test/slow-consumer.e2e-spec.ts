import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import { startServer, type TestServer } from './support/server.js';
import { WsClient } from './support/ws-client.js';

const MAX_BUFFERED = 256 * 1024;

describe('a browser that stops reading', () => {
  let server: TestServer;
  let push: PushClient;
  const tabs: WsClient[] = [];

  beforeEach(async () => {
    server = await startServer({
      PUSH_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
    });
    push = new PushClient({ port: server.textPort });
  });

  afterEach(async () => {
    tabs.splice(0).forEach((tab) => tab.socket.terminate());
    await push.close();
    await server.close();
  });

  it('is closed with 1013 once PUSH_MAX_BUFFERED_BYTES are unsent; the others get everything', async () => {
    const reading = await WsClient.bound(server.wsUrl, 'u');
    const stalled = await WsClient.bound(server.wsUrl, 'u');
    tabs.push(reading, stalled);
    stalled.socket.pause(); // reads nothing more: what is sent to it piles up
    const big = 'x'.repeat(60_000);

    // The kernel buffers of both sockets take a few megabytes before the server holds anything.
    let pushes = 0;
    while ((await push.getClientIdByUid('u')).length === 2) {
      expect(pushes++).toBeLessThan(1000);
      await push.sendToUid('u', big);
      expect(await reading.next()).toHaveLength(big.length);
    }

    stalled.socket.resume();
    expect((await stalled.closed).code).toBe(1013);
    expect(await push.sendToUid('u', 'still here')).toBe(1);
    expect(await reading.next()).toBe('still here');
    // It was closed, not buffered for: far more was pushed to it than the limit.
    expect(pushes * big.length).toBeGreaterThan(4 * MAX_BUFFERED);
  });

  it('is closed with 1013 when pongs to its pings pile up unsent, as for pushes', async () => {
    await server.close();
    server = await startServer({
      PUSH_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
      // Within the rate: it is the unsent pongs that must stop this client.
      PUSH_MAX_MESSAGES_PER_SEC: '100000',
      PUSH_MAX_MESSAGES_BURST: '100000',
    });
    await push.close();
    push = new PushClient({ port: server.textPort });
    const flooder = await WsClient.bound(server.wsUrl, 'u');
    tabs.push(flooder);
    flooder.socket.pause();
    const payload = Buffer.alloc(125);
    let pings = 0;
    while ((await push.getClientIdByUid('u')).length === 1) {
      expect(pings).toBeLessThan(400_000); // 50 MB of pongs: far past any kernel buffer
      for (let i = 0; i < 2000; i++, pings++) {
        flooder.socket.ping(payload);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    flooder.socket.resume();
    expect((await flooder.closed).code).toBe(1013);
  });
});
