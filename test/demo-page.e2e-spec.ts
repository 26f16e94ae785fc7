import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import { ServerProcess } from './support/server-process.js';

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));

/** The demo page and the browser SDK in a real browser: Debian's Chromium, driven by Playwright. */
describe('the demo page in headless Chromium', () => {
  let server: ServerProcess;
  let base: string;
  let push: PushClient;
  let browser: Browser;

  beforeAll(async () => {
    server = ServerProcess.start({
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_PORT: '0',
    });
    base = `http://${(await server.waitFor(/WebSocket +ws:\/\/(127\.0\.0\.1:\d+)/))[1]}`;
    push = new PushClient({
      port: Number(
        (await server.waitFor(/Text +tcp:\/\/127\.0\.0\.1:(\d+)/))[1],
      ),
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
      ],
    });
    mkdirSync(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await push?.close();
    server?.kill();
  });

  it('connects with a uid, shows the state, and shows a message pushed through the text port', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.fill('#uid', 'demo-uid');
    await page.click('#connect-button');
    await expect.poll(() => page.textContent('#state')).toBe('connected');
    await expect.poll(() => push.isUidOnline('demo-uid')).toBe(true);
    expect(await page.textContent('#nc-command')).toContain('"uid":"demo-uid"');

    expect(
      await push.sendToUid('demo-uid', {
        type: 'hello',
        text: 'Hi from the backend',
      }),
    ).toBe(1);

    await expect
      .poll(() => page.textContent('#messages'))
      .toContain('{"type":"hello","text":"Hi from the backend"}');
    await page.screenshot({ path: `${OUTPUT}demo-page.png`, fullPage: true });

    await page.click('#disconnect-button');
    await expect.poll(() => page.textContent('#state')).toBe('disconnected');
    await expect.poll(() => push.isUidOnline('demo-uid')).toBe(false);
  });

  it('serves the SDK as a single script for a plain <script> tag', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/health/live`); // any page of the server's origin
    await page.addScriptTag({
      url: `${base}/pushgate/sdk/browser/pushgate-client.global.js`,
    });
    const wsUrl = base.replace('http', 'ws');
    const received = page.evaluate(
      (url) =>
        new Promise((resolve) => {
          const client = new (
            window as unknown as {
              PushgateClient: new (
                u: string,
                o: object,
              ) => { on(e: string, f: (m: unknown) => void): void };
            }
          ).PushgateClient(url, { uid: 'script-tag' });
          client.on('message', resolve);
        }),
      wsUrl,
    );
    await expect.poll(() => push.isUidOnline('script-tag')).toBe(true);
    await push.sendToUid('script-tag', 'from a script tag');
    expect(await received).toBe('from a script tag');
  });
});
