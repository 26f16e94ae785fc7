import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PushCommand } from '../src/push/push-command.js';
import { PushClient } from '../src/sdk/node/push-client.js';
import { LineClient } from './support/line-client.js';
import { startServer, type TestServer } from './support/server.js';
import { type Json, WsClient } from './support/ws-client.js';

describe('the Gateway API on the text port, through PushClient', () => {
  let server: TestServer;
  let push: PushClient;
  const open: WsClient[] = [];

  /** A browser connection, bound to `uid` when one is given. */
  async function browser(uid?: string): Promise<WsClient> {
    const client = await WsClient.connect(server.wsUrl);
    open.push(client);
    if (uid === undefined) {
      // An unbound connection learns its client id from a throwaway binding.
      await client.init('scratch');
      await call('unbindUid', { client_id: client.clientId, uid: 'scratch' });
    } else {
      await client.init(uid);
    }
    return client;
  }

  /** Runs a command exactly as written on the wire and returns its result. */
  function call(type: string, fields: Json = {}): Promise<Json> {
    return push.request(type, fields);
  }

  /** The next push a browser receives, raw. */
  function nextFrame(client: WsClient): Promise<string> {
    return new Promise((resolve) =>
      client.socket.once('message', (data) =>
        resolve((data as Buffer).toString()),
      ),
    );
  }

  beforeEach(async () => {
    server = await startServer();
    push = new PushClient({ port: server.textPort });
  });

  afterEach(async () => {
    open.splice(0).forEach((client) => client.socket.terminate());
    await push.close();
    await server.close();
  });

  describe('sending', () => {
    it('sendToUid sends a string as it is and anything else as JSON', async () => {
      const tab = await browser('u');
      const raw = nextFrame(tab);
      expect(
        await call('sendToUid', { uid: 'u', message: 'plain text, not JSON' }),
      ).toBe(1);
      expect(await raw).toBe('plain text, not JSON');

      const json = nextFrame(tab);
      await call('sendToUid', {
        uid: 'u',
        message: { type: 'chat', text: 'hi' },
      });
      expect(JSON.parse(await json)).toEqual({ type: 'chat', text: 'hi' });
    });

    it('passes a message through with every key it has, whatever its name', async () => {
      const tab = await browser('u');
      const message = {
        constructor: { a: 1 },
        toString: 'x',
        valueOf: 2,
        hasOwnProperty: [{ constructor: null }],
      };
      const raw = nextFrame(tab);
      await call('sendToUid', { uid: 'u', message });
      expect(JSON.parse(await raw)).toEqual(message);
      await call('setSession', { client_id: tab.clientId, session: message });
      expect(await call('getSession', { client_id: tab.clientId })).toEqual(
        message,
      );
    });

    it('sendToUid reaches every connection of every listed uid', async () => {
      const [a1, a2, b, c] = await Promise.all([
        browser('a'),
        browser('a'),
        browser('b'),
        browser('c'),
      ]);
      expect(
        await call('sendToUid', { uids: ['a', 'b', 'nobody'], message: 'm' }),
      ).toBe(3);
      expect(
        await call('sendToUid', { uid: 'c', uids: ['a'], message: 'n' }),
      ).toBe(3);
      expect(await call('sendToUid', { uids: [], message: 'x' })).toBe(0);
      for (const tab of [a1, a2]) {
        expect(await tab.next()).toBe('m');
        expect(await tab.next()).toBe('n');
      }
      expect(await b.next()).toBe('m');
      expect(await c.next()).toBe('n');
    });

    it('sendToClient reaches the listed connections once each', async () => {
      const [one, two, other] = await Promise.all([
        browser('u'),
        browser('u'),
        browser('v'),
      ]);
      expect(
        await call('sendToClient', {
          client_id: one.clientId,
          message: 'first',
        }),
      ).toBe(1);
      expect(
        await call('sendToClient', {
          client_ids: [
            one.clientId,
            two.clientId,
            one.clientId,
            'no-such-client',
          ],
          message: 'second',
        }),
      ).toBe(2);
      expect(await one.next()).toBe('first');
      expect(await one.next()).toBe('second');
      expect(await two.next()).toBe('second');
      expect(other.messages.pending).toEqual([]);
    });

    it('sendToGroup reaches each member of any listed group once, minus the excluded', async () => {
      const [a, b, c] = await Promise.all([
        browser('a'),
        browser('b'),
        browser('c'),
      ]);
      await call('joinGroup', { client_id: a.clientId, group: 'room 1' });
      await call('joinGroup', { client_id: b.clientId, group: 'room 1' });
      await call('joinGroup', { client_id: b.clientId, group: 'room 2' });
      await call('joinGroup', { client_id: c.clientId, group: 'room 2' });

      expect(
        await call('sendToGroup', {
          groups: ['room 1', 'room 2'],
          message: 'all',
        }),
      ).toBe(3);
      expect(
        await call('sendToGroup', {
          group: 'room 1',
          message: 'not b',
          exclude: [b.clientId],
        }),
      ).toBe(1);
      expect(
        await call('sendToGroup', { group: 'empty room', message: 'x' }),
      ).toBe(0);

      expect([await a.next(), await a.next()]).toEqual(['all', 'not b']);
      expect(await b.next()).toBe('all');
      expect(await c.next()).toBe('all');
      expect(b.messages.pending).toEqual([]);
    });

    it('sendToAll reaches every connection, bound or not, or only the listed ones, minus the excluded', async () => {
      const [bound, unbound, excluded] = await Promise.all([
        browser('u'),
        browser(),
        browser('x'),
      ]);
      expect(
        await call('sendToAll', {
          message: 'everyone',
          exclude: [excluded.clientId],
        }),
      ).toBe(2);
      expect(
        await call('sendToAll', {
          message: 'some',
          client_ids: [unbound.clientId, excluded.clientId],
        }),
      ).toBe(2);
      expect([
        await bound.next(),
        await unbound.next(),
        await unbound.next(),
      ]).toEqual(['everyone', 'everyone', 'some']);
      expect(await excluded.next()).toBe('some');
    });

    it('takes null for client_ids and exclude as absent, as GatewayWorker does', async () => {
      const [a, b] = await Promise.all([browser('a'), browser('b')]);
      await call('joinGroup', { client_id: a.clientId, group: 'g' });
      expect(
        await call('sendToAll', {
          message: 'm',
          client_ids: null,
          exclude: null,
        }),
      ).toBe(2);
      expect(
        await call('sendToGroup', { group: 'g', message: 'n', exclude: null }),
      ).toBe(1);
      expect([await a.next(), await a.next(), await b.next()]).toEqual([
        'm',
        'n',
        'm',
      ]);
    });
  });

  describe('binding and groups', () => {
    it('bindUid binds and moves a connection; unbindUid undoes only that binding', async () => {
      const tab = await browser();
      expect(
        await call('bindUid', { client_id: tab.clientId, uid: 'first' }),
      ).toBe(true);
      expect(await call('getUidByClientId', { client_id: tab.clientId })).toBe(
        'first',
      );
      expect(
        await call('bindUid', { client_id: tab.clientId, uid: 'second' }),
      ).toBe(true);
      expect(await call('isUidOnline', { uid: 'first' })).toBe(false);

      expect(
        await call('unbindUid', { client_id: tab.clientId, uid: 'first' }),
      ).toBe(false);
      expect(
        await call('unbindUid', { client_id: tab.clientId, uid: 'second' }),
      ).toBe(true);
      expect(
        await call('getUidByClientId', { client_id: tab.clientId }),
      ).toBeNull();
      expect(await call('sendToUid', { uid: 'second', message: 'x' })).toBe(0);
    });

    it('answers false for a client id that does not exist', async () => {
      const none = { client_id: 'no-such-client' };
      expect(await call('bindUid', { ...none, uid: 'u' })).toBe(false);
      expect(await call('unbindUid', { ...none, uid: 'u' })).toBe(false);
      expect(await call('joinGroup', { ...none, group: 'g' })).toBe(false);
      expect(await call('leaveGroup', { ...none, group: 'g' })).toBe(false);
      expect(await call('setSession', { ...none, session: {} })).toBe(false);
      expect(await call('updateSession', { ...none, session: {} })).toBe(false);
      expect(await call('closeClient', none)).toBe(false);
      expect(await call('getAllGroupIdList')).toEqual([]);
    });

    it('joinGroup and leaveGroup change membership; a group ends with its last member', async () => {
      const [a, b] = await Promise.all([browser('a'), browser('b')]);
      await call('joinGroup', { client_id: a.clientId, group: 'g' });
      await call('joinGroup', { client_id: b.clientId, group: 'g' });
      await call('joinGroup', { client_id: b.clientId, group: 'g' });
      expect(await call('getClientCountByGroup', { group: 'g' })).toBe(2);

      expect(
        await call('leaveGroup', { client_id: a.clientId, group: 'g' }),
      ).toBe(true);
      expect(
        await call('leaveGroup', { client_id: a.clientId, group: 'g' }),
      ).toBe(false);
      expect(await call('getAllGroupIdList')).toEqual(['g']);
      await call('leaveGroup', { client_id: b.clientId, group: 'g' });
      expect(await call('getAllGroupIdList')).toEqual([]);
    });

    it('ungroup dissolves a group and says how many were in it', async () => {
      const [a, b] = await Promise.all([browser('a'), browser('b')]);
      await call('joinGroup', { client_id: a.clientId, group: 'g' });
      await call('joinGroup', { client_id: b.clientId, group: 'g' });
      await call('joinGroup', { client_id: b.clientId, group: 'h' });

      expect(await call('ungroup', { group: 'g' })).toBe(2);
      expect(await call('ungroup', { group: 'g' })).toBe(0);
      expect(await call('getAllGroupIdList')).toEqual(['h']);
      expect(
        await call('leaveGroup', { client_id: a.clientId, group: 'g' }),
      ).toBe(false);
    });

    it('empties groups of a connection that disconnects', async () => {
      const [leaving, staying] = await Promise.all([
        browser('a'),
        browser('b'),
      ]);
      await call('joinGroup', { client_id: leaving.clientId, group: 'solo' });
      await call('joinGroup', { client_id: leaving.clientId, group: 'shared' });
      await call('joinGroup', { client_id: staying.clientId, group: 'shared' });
      await leaving.close();

      await expect.poll(() => call('getAllGroupIdList')).toEqual(['shared']);
      expect(await call('getClientIdListByGroup', { group: 'shared' })).toEqual(
        [staying.clientId],
      );
      expect(
        await call('sendToGroup', { groups: ['solo', 'shared'], message: 'm' }),
      ).toBe(1);
    });
  });

  describe('queries', () => {
    it('answer for connections, uids and groups', async () => {
      const [a1, a2, b, unbound] = await Promise.all([
        browser('a'),
        browser('a'),
        browser('b'),
        browser(),
      ]);
      for (const tab of [a1, a2, b, unbound]) {
        await call('joinGroup', { client_id: tab.clientId, group: 'lobby' });
      }

      expect(await call('isOnline', { client_id: a1.clientId })).toBe(true);
      expect(await call('isOnline', { client_id: 'no-such-client' })).toBe(
        false,
      );
      expect(await call('isUidOnline', { uid: 'a' })).toBe(true);
      expect(await call('isUidOnline', { uid: 'nobody' })).toBe(false);
      expect((await call('getClientIdByUid', { uid: 'a' })).sort()).toEqual(
        [a1.clientId, a2.clientId].sort(),
      );
      expect(await call('getClientIdByUid', { uid: 'nobody' })).toEqual([]);
      expect(await call('getUidByClientId', { client_id: b.clientId })).toBe(
        'b',
      );
      expect(
        await call('getUidByClientId', { client_id: unbound.clientId }),
      ).toBeNull();
      expect(
        await call('getUidByClientId', { client_id: 'no-such-client' }),
      ).toBeNull();

      expect(await call('getClientCountByGroup', { group: 'lobby' })).toBe(4);
      expect(
        (await call('getClientIdListByGroup', { group: 'lobby' })).length,
      ).toBe(4);
      expect(
        (await call('getUidListByGroup', { group: 'lobby' })).sort(),
      ).toEqual(['a', 'b']);
      expect(await call('getUidCountByGroup', { group: 'lobby' })).toBe(2);
      expect(
        await call('getClientIdListByGroup', { group: 'nowhere' }),
      ).toEqual([]);
      expect(await call('getUidCountByGroup', { group: 'nowhere' })).toBe(0);

      expect(await call('getAllClientCount')).toBe(4);
      expect((await call('getAllClientIdList')).sort()).toEqual(
        [a1, a2, b, unbound].map((tab) => tab.clientId).sort(),
      );
      expect((await call('getAllUidList')).sort()).toEqual(['a', 'b']);
      expect(await call('getAllUidCount')).toBe(2);
      expect(await call('getAllGroupIdList')).toEqual(['lobby']);
    });
  });

  describe('sessions', () => {
    it('setSession replaces, updateSession merges level by level, getSession reads', async () => {
      const tab = await browser('u');
      const client_id = tab.clientId;
      expect(await call('getSession', { client_id })).toEqual({});
      expect(
        await call('getSession', { client_id: 'no-such-client' }),
      ).toBeNull();

      await call('setSession', {
        client_id,
        session: { user: { name: 'Ann', roles: ['a'] }, cart: 1 },
      });
      await call('updateSession', {
        client_id,
        session: { user: { roles: ['b'], age: 30 } },
      });
      expect(await call('getSession', { client_id })).toEqual({
        user: { name: 'Ann', roles: ['b'], age: 30 },
        cart: 1,
      });

      await call('setSession', { client_id, session: { fresh: true } });
      expect(await call('getSession', { client_id })).toEqual({ fresh: true });
    });

    it('refuses a __proto__ key instead of letting it reach a prototype', async () => {
      const tab = await browser('u');
      const php = await LineClient.connect(server.textPort);
      await php.write(
        `{"id":"s","type":"updateSession","client_id":"${tab.clientId}","session":{"__proto__":{"admin":true}}}\n`,
      );
      expect(await php.next()).toMatchObject({
        id: 's',
        ok: false,
        error: { code: 'invalid_message' },
      });
      expect(await call('getSession', { client_id: tab.clientId })).toEqual({});
      php.destroy();
    });

    it('ends with its connection', async () => {
      const tab = await browser('u');
      const client_id = tab.clientId;
      await call('setSession', { client_id, session: { secret: 1 } });
      await tab.close();

      await expect.poll(() => call('getSession', { client_id })).toBeNull();
      const next = await browser('u');
      expect(await call('getSession', { client_id: next.clientId })).toEqual(
        {},
      );
    });
  });

  describe('closeClient', () => {
    it('delivers the message first, then closes with 1000', async () => {
      const tab = await browser('u');
      expect(
        await call('closeClient', {
          client_id: tab.clientId,
          message: { type: 'bye' },
        }),
      ).toBe(true);
      expect(await tab.next()).toEqual({ type: 'bye' });
      expect((await tab.closed).code).toBe(1000);
      await expect
        .poll(() => call('isOnline', { client_id: tab.clientId }))
        .toBe(false);
    });

    it('counts the connection gone at once, before the close handshake ends', async () => {
      const tab = await browser('u');
      tab.socket.pause(); // the close handshake cannot finish while the browser reads nothing
      await call('closeClient', { client_id: tab.clientId });
      expect(await call('isOnline', { client_id: tab.clientId })).toBe(false);
      expect(await call('sendToUid', { uid: 'u', message: 'x' })).toBe(0);
      expect(await call('closeClient', { client_id: tab.clientId })).toBe(
        false,
      );
    });

    it('closes without a message when none is given', async () => {
      const tab = await browser('u');
      await call('closeClient', { client_id: tab.clientId });
      expect((await tab.closed).code).toBe(1000);
      expect(tab.messages.pending).toEqual([]);
    });
  });

  it('validates every command and names the field', async () => {
    const cases: Array<[string, Json, string]> = [
      ['sendToUid', { message: 'm' }, 'uid or uids is required'],
      ['sendToUid', { uid: 'u' }, 'message is required'],
      ['sendToClient', { message: 'm' }, 'client_id or client_ids is required'],
      ['sendToGroup', { groups: 'g', message: 'm' }, 'groups must be an array'],
      [
        'sendToAll',
        { message: 'm', exclude: [1] },
        'exclude must be an array of client ids',
      ],
      ['bindUid', { client_id: 'c' }, 'uid must be'],
      ['joinGroup', { group: 'g' }, 'client_id must be a client id'],
      [
        'setSession',
        { client_id: 'c', session: 'x' },
        'session must be a JSON object',
      ],
      ['getClientCountByGroup', {}, 'group must be'],
    ];
    for (const [type, fields, message] of cases) {
      await expect(push.request(type, fields), type).rejects.toMatchObject({
        code: 'invalid_message',
        message: expect.stringContaining(message),
      });
    }
  });

  it('refuses every command from a WebSocket', async () => {
    const tab = await browser('u');
    for (const type of Object.values(PushCommand)) {
      tab.send({ type, uid: 'u', message: 'forged' });
      expect(await tab.next(), type).toMatchObject({
        type: 'error',
        code: 'forbidden',
      });
    }
  });
});
