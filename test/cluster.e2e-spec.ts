import { afterEach, expect, it } from 'vitest';
import type { GatewayApi } from '../src/push/gateway-api.js';
import { PushClientError } from '../src/sdk/node/push-client-error.js';
import {
  clusterEnv,
  keysOf,
  startNodes,
  type TestNode,
} from './support/cluster.js';
import { LineClient } from './support/line-client.js';
import { describeWithRedis, SHARED_REDIS_URL } from './support/redis.js';
import { type Json, WsClient } from './support/ws-client.js';

describeWithRedis(
  'cluster mode: nodes sharing a Redis are one push server',
  () => {
    let nodes: TestNode[] = [];
    const browsers: WsClient[] = [];

    async function cluster(...ids: string[]): Promise<TestNode[]> {
      nodes = await startNodes(ids, clusterEnv());
      return nodes;
    }

    /** A browser on `node`, bound to `uid`. */
    async function browser(node: TestNode, uid: string): Promise<WsClient> {
      const client = await WsClient.bound(node.wsUrl, uid);
      browsers.push(client);
      return client;
    }

    /**
     * What `tab` received from everything pushed so far through any node: an end marker is pushed
     * to it through every node, and each node's messages to one connection arrive in order.
     */
    async function received(tab: WsClient): Promise<Json[]> {
      for (const node of nodes) {
        await node.push.sendToClient(tab.clientId, `end via ${node.id}`);
      }
      const messages: Json[] = [];
      for (let ends = 0; ends < nodes.length;) {
        const message = await tab.next();
        if (typeof message === 'string' && message.startsWith('end via ')) {
          ends++;
        } else {
          messages.push(message);
        }
      }
      return messages;
    }

    /** Messages in a fixed order, for comparing what arrived through several nodes. */
    function unordered(messages: Json[]): string[] {
      return messages.map((message) => JSON.stringify(message)).sort();
    }

    afterEach(async () => {
      browsers.splice(0).forEach((client) => client.socket.terminate());
      await Promise.all(nodes.map((node) => node.close()));
      nodes = [];
    });

    it('delivers a push made through node B to a browser on node A, exactly as on one server', async () => {
      const [a, b] = await cluster('a', 'b');
      const tab = await browser(a, 'task 123456');
      const raw = new Promise<string>((resolve) =>
        tab.socket.once('message', (data) =>
          resolve((data as Buffer).toString()),
        ),
      );
      const php = await LineClient.connect(b.textPort);
      // The PHP backend's way: write the line and close, without reading anything.
      await php.write(
        '{"type":"send","task_id":"task 123456","openid":"open id 8888"}\n',
      );
      await php.end();
      expect(await raw).toBe(
        '{"type":"login_status","openid":"open id 8888","data":null}',
      );

      const backend = await LineClient.connect(b.textPort);
      expect(
        await backend.request({
          type: 'send',
          task_id: 'task 123456',
          openid: 'o',
          data: { plan: 'pro' },
        }),
      ).toEqual({ id: 1, ok: true, result: 1 });
      await tab.next(); // the first push, read raw above
      expect(await tab.next()).toEqual({
        type: 'login_status',
        openid: 'o',
        data: { plan: 'pro' },
      });
      backend.destroy();
    });

    it('gives client ids that name the node holding the connection', async () => {
      const [a, b] = await cluster('node-a', 'node-b');
      expect((await browser(a, 'u')).clientId).toMatch(
        /^node-a\.[0-9a-f]{8}-\d+$/,
      );
      expect((await browser(b, 'u')).clientId).toMatch(
        /^node-b\.[0-9a-f]{8}-\d+$/,
      );
    });

    it('answers every query alike on every node', async () => {
      const [a, b, c] = await cluster('a', 'b', 'c');
      const a1 = await browser(a, 'alice');
      const b1 = await browser(b, 'alice');
      const b2 = await browser(b, 'bob');
      const c1 = await browser(c, 'carol');
      await a.push.joinGroup(a1.clientId, 'room');
      await a.push.joinGroup(b2.clientId, 'room');
      await c.push.joinGroup(c1.clientId, 'room');
      await c.push.joinGroup(c1.clientId, 'lobby');
      await b.push.setSession(a1.clientId, { name: 'Alice' });
      await c.push.updateSession(a1.clientId, { cart: { items: 2 } });

      const all = [a1, b1, b2, c1].map(({ clientId }) => clientId).sort();
      const sorted = async (list: Promise<string[]>) => (await list).sort();
      const answers = (push: GatewayApi) =>
        Promise.all([
          push.isOnline(b2.clientId),
          push.isOnline('b.00000000-999'),
          push.isUidOnline('alice'),
          push.isUidOnline('nobody'),
          sorted(push.getClientIdByUid('alice')),
          push.getUidByClientId(c1.clientId),
          push.getUidByClientId('zz.00000000-1'),
          sorted(push.getClientIdListByGroup('room')),
          push.getClientCountByGroup('room'),
          sorted(push.getUidListByGroup('room')),
          push.getUidCountByGroup('room'),
          sorted(push.getAllClientIdList()),
          push.getAllClientCount(),
          sorted(push.getAllUidList()),
          push.getAllUidCount(),
          sorted(push.getAllGroupIdList()),
          push.getSession(a1.clientId),
          push.getSession(b1.clientId),
        ]);
      const expected = [
        true,
        false,
        true,
        false,
        [a1.clientId, b1.clientId].sort(),
        'carol',
        null,
        [a1.clientId, b2.clientId, c1.clientId].sort(),
        3,
        ['alice', 'bob', 'carol'],
        3,
        all,
        4,
        ['alice', 'bob', 'carol'],
        3,
        ['lobby', 'room'],
        { name: 'Alice', cart: { items: 2 } },
        {},
      ];
      for (const node of [a, b, c]) {
        expect(await answers(node.push)).toEqual(expected);
      }

      b1.socket.terminate();
      await b1.closed;
      await expect
        .poll(() => c.push.getClientIdByUid('alice'))
        .toEqual([a1.clientId]);
      expect(await a.push.getAllClientCount()).toBe(3);
    });

    it('sends to a group across nodes: each member once, minus the excluded', async () => {
      const [a, b, c] = await cluster('a', 'b', 'c');
      const [a1, a2, b1, c1, outsider] = [
        await browser(a, 'a1'),
        await browser(a, 'a2'),
        await browser(b, 'b1'),
        await browser(c, 'c1'),
        await browser(c, 'outsider'),
      ];
      await b.push.joinGroup(a1.clientId, 'g1');
      await b.push.joinGroup(a1.clientId, 'g2');
      await b.push.joinGroup(a2.clientId, 'g2');
      await b.push.joinGroup(b1.clientId, 'g1');
      await b.push.joinGroup(b1.clientId, 'g2');
      await b.push.joinGroup(c1.clientId, 'g2');

      expect(
        await c.push.sendToGroup(['g1', 'g2'], 'hello', [a2.clientId]),
      ).toBe(3);
      expect(await a.push.sendToGroup('g2', { n: 2 })).toBe(4);
      // Through two nodes: in either order, as arrivals a Redis hop apart can be.
      const both = unordered(['hello', { n: 2 }]);
      expect(unordered(await received(a1))).toEqual(both);
      expect(await received(a2)).toEqual([{ n: 2 }]);
      expect(unordered(await received(b1))).toEqual(both);
      expect(unordered(await received(c1))).toEqual(both);
      expect(await received(outsider)).toEqual([]);
    });

    it('sends to all, or to listed clients, on every node', async () => {
      const [a, b] = await cluster('a', 'b');
      const [a1, a2, b1, b2] = [
        await browser(a, 'u1'),
        await browser(a, 'u2'),
        await browser(b, 'u3'),
        await browser(b, 'u4'),
      ];
      expect(await a.push.sendToAll('everyone')).toBe(4);
      expect(
        await b.push.sendToAll('most', { exclude: [a2.clientId, b2.clientId] }),
      ).toBe(2);
      expect(
        await a.push.sendToAll('listed', {
          clientIds: [a1.clientId, b1.clientId, b2.clientId],
          exclude: [b2.clientId],
        }),
      ).toBe(2);
      expect(
        await b.push.sendToClient(
          [
            a2.clientId,
            a2.clientId,
            b2.clientId,
            'a.00000000-404',
            'not-a-cluster-id',
          ],
          'direct',
        ),
      ).toBe(2);
      // Through two nodes: in either order, as arrivals a Redis hop apart can be.
      const [most, direct] = [
        unordered(['everyone', 'most', 'listed']),
        unordered(['everyone', 'direct']),
      ];
      expect(unordered(await received(a1))).toEqual(most);
      expect(unordered(await received(a2))).toEqual(direct);
      expect(unordered(await received(b1))).toEqual(most);
      expect(unordered(await received(b2))).toEqual(direct);
    });

    it('delivers once per connection when several nodes hold a uid', async () => {
      const [a, b, c] = await cluster('a', 'b', 'c');
      const tabs = [
        await browser(a, 'shared'),
        await browser(a, 'shared'),
        await browser(b, 'shared'),
        await browser(c, 'other'),
      ];
      expect(await a.push.sendToUid('shared', 'via a')).toBe(3);
      expect(await b.push.sendToUid('shared', 'via b')).toBe(3);
      expect(
        await c.push.sendToUid(['shared', 'other', 'shared'], 'via c'),
      ).toBe(4);
      // Once each; in no particular order: a tab on node b may get b's own push before a's,
      // which comes a Redis hop later.
      for (const tab of tabs.slice(0, 3)) {
        expect(unordered(await received(tab))).toEqual(
          unordered(['via a', 'via b', 'via c']),
        );
      }
      expect(await received(tabs[3]!)).toEqual(['via c']);
    });

    it('binds, groups and keeps sessions of connections held by other nodes', async () => {
      const [a, b] = await cluster('a', 'b');
      const tab = await browser(a, 'first');

      expect(await b.push.bindUid(tab.clientId, 'second')).toBe(true);
      expect(await b.push.getUidByClientId(tab.clientId)).toBe('second');
      expect(await a.push.isUidOnline('first')).toBe(false);
      expect(await b.push.sendToUid('second', 'bound')).toBe(1);
      expect(await tab.next()).toBe('bound');

      expect(await b.push.joinGroup(tab.clientId, 'g')).toBe(true);
      expect(await b.push.sendToGroup('g', 'joined')).toBe(1);
      expect(await tab.next()).toBe('joined');
      expect(await b.push.leaveGroup(tab.clientId, 'g')).toBe(true);
      expect(await b.push.leaveGroup(tab.clientId, 'g')).toBe(false);
      expect(await b.push.getAllGroupIdList()).toEqual([]);

      expect(await b.push.setSession(tab.clientId, { a: { x: 1 } })).toBe(true);
      expect(await b.push.updateSession(tab.clientId, { a: { y: 2 } })).toBe(
        true,
      );
      expect(await b.push.getSession(tab.clientId)).toEqual({
        a: { x: 1, y: 2 },
      });

      expect(await b.push.unbindUid(tab.clientId, 'other')).toBe(false);
      expect(await b.push.unbindUid(tab.clientId, 'second')).toBe(true);
      expect(await a.push.getAllUidList()).toEqual([]);

      const gone = 'a.00000000-404';
      expect(await b.push.bindUid(gone, 'x')).toBe(false);
      expect(await b.push.getSession(gone)).toBeNull();
      expect(await b.push.bindUid('zz.00000000-1', 'x')).toBe(false);
    });

    it('closes a connection held by another node, after its last message', async () => {
      const [a, b] = await cluster('a', 'b');
      const tab = await browser(a, 'u');
      expect(await b.push.closeClient(tab.clientId, { type: 'bye' })).toBe(
        true,
      );
      expect(await tab.next()).toEqual({ type: 'bye' });
      expect(await tab.closed).toEqual({
        code: 1000,
        reason: 'closed by the server',
      });
      expect(await b.push.isOnline(tab.clientId)).toBe(false);
      expect(await b.push.closeClient(tab.clientId)).toBe(false);
    });

    it('dissolves a group on every node', async () => {
      const [a, b, c] = await cluster('a', 'b', 'c');
      const members = [
        await browser(a, 'x'),
        await browser(b, 'y'),
        await browser(b, 'z'),
      ];
      for (const member of members) {
        await c.push.joinGroup(member.clientId, 'g');
      }
      expect(await c.push.ungroup('g')).toBe(3);
      for (const node of [a, b, c]) {
        expect(await node.push.getClientCountByGroup('g')).toBe(0);
        expect(await node.push.getAllGroupIdList()).toEqual([]);
      }
      expect(await a.push.ungroup('g')).toBe(0);
    });

    it('takes a node that stops cleanly out of the cluster at once, and out of Redis', async () => {
      const env = clusterEnv();
      nodes = await startNodes(['a', 'b'], env);
      const [a, b] = nodes;
      await browser(a!, 'on a');
      await browser(b!, 'on b');
      expect(await a!.push.getAllUidCount()).toBe(2);
      await b!.close();
      nodes = [a!];
      expect(await a!.push.getAllUidList()).toEqual(['on a']);
      const keys = await keysOf(SHARED_REDIS_URL, env.PUSH_REDIS_PREFIX!);
      expect(keys.filter((key) => key.includes('{b}'))).toEqual([]);
      expect(keys).not.toContain(`${env.PUSH_REDIS_PREFIX}:uid:on b`);
    });

    it('answers commands over HTTP for the whole cluster too', async () => {
      const key = 'an api key, long enough';
      nodes = await startNodes(['a', 'b'], {
        ...clusterEnv(),
        PUSH_API_KEY: key,
      });
      const [a, b] = nodes;
      const tab = await browser(a!, 'u');
      const response = await fetch(`http://127.0.0.1:${b!.ws.port}/api/push`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          type: 'sendToUid',
          uid: 'u',
          message: 'over http',
        }),
      });
      expect(await response.json()).toEqual({ ok: true, result: 1 });
      expect(await tab.next()).toBe('over http');
    });

    it('keeps a push nobody in the cluster took, and only then', async () => {
      const [a, b] = await cluster('a', 'b');
      const backend = await LineClient.connect(b.textPort);
      const held = await browser(a, 'held');
      expect(
        await backend.request({
          type: 'sendToUid',
          uid: 'held',
          message: 'live',
        }),
      ).toEqual({ id: 1, ok: true, result: 1 });
      expect(await held.next()).toBe('live');
      expect(
        await backend.request({
          type: 'sendToUid',
          uid: 'nobody',
          message: 'kept',
        }),
      ).toEqual({ id: 2, ok: true, result: 0, buffered: 1 });

      // The first connection to bind the uid gets what was kept for it.
      const late = await browser(b, 'nobody');
      expect(await late.next()).toBe('kept');
      // Node a's tab took the live push: a second tab of that uid on node b finds nothing kept.
      const second = await browser(b, 'held');
      expect(await received(second)).toEqual([]);
      backend.destroy();
    });

    it("writes pushes from other nodes to a recovering connection in its envelope, with the uid's positions", async () => {
      const [a, b] = await cluster('a', 'b');
      const tab = await WsClient.connect(a.wsUrl);
      browsers.push(tab);
      tab.send({ type: 'init', task_id: 'u', recover: true });
      const answer = await tab.nextNonPing();
      tab.clientId = answer.client_id;
      expect(answer).toMatchObject({
        type: 'init_ok',
        position: expect.any(Number),
      });

      expect(await b.push.sendToUid('u', { n: 1 })).toBe(1);
      expect(await b.push.sendToUid('u', 'text')).toBe(1);
      expect(await b.push.sendToGroup('none', 'nobody')).toBe(0);
      expect(await b.push.joinGroup(tab.clientId, 'g')).toBe(true);
      expect(await b.push.sendToGroup('g', 'to the group')).toBe(1);
      expect(await b.push.sendToClient(tab.clientId, { to: 'you' })).toBe(1);
      expect([
        await tab.next(),
        await tab.next(),
        await tab.next(),
        await tab.next(),
      ]).toEqual([
        { type: 'push', position: answer.position + 1, message: { n: 1 } },
        { type: 'push', position: answer.position + 2, message: 'text' },
        { type: 'push', message: 'to the group' },
        { type: 'push', message: { to: 'you' } },
      ]);
    });

    it('keeps validating commands as a single node does', async () => {
      const [, b] = await cluster('a', 'b');
      const error: Json = await b!.push
        .sendToUid('', 'x')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PushClientError);
      expect(error.code).toBe('invalid_message');
    });
  },
);
