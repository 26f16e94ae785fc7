import { describe, expect, it } from 'vitest';
import type { ClientSocket } from '../registry/client.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { ClusterKeys } from './cluster-keys.js';
import { type Command, PresenceWriter } from './presence-writer.js';

const socket = (): ClientSocket => ({
  push: () => undefined,
  pushBacklog: () => undefined,
  close: () => undefined,
});

/** A registry attached to a writer whose pipelines are written down; subscriptions too. */
async function setUp() {
  const keys = new ClusterKeys('pg');
  const registry = new UidRegistry();
  const subscribed: string[] = [];
  const subscriptions = new ChannelSubscriptions({
    subscribe: async (...channels) => subscribed.push(...channels),
    unsubscribe: async (...channels) =>
      channels.forEach((channel) =>
        subscribed.splice(subscribed.indexOf(channel), 1),
      ),
  });
  const pipelines: Command[][] = [];
  const writer = new PresenceWriter(
    'n',
    keys,
    registry,
    subscriptions,
    async (commands) => pipelines.push(commands),
  );
  registry.attach('n', writer);
  await subscriptions.resubscribeAll();
  pipelines.push(writer.resume());
  /** The commands written since the last call, once the turn's batch went out. */
  const written = async () => {
    await Promise.all([writer.settled(), subscriptions.settled()]);
    return pipelines.splice(0).flat();
  };
  await written();
  return { registry, writer, subscriptions, subscribed, written };
}

describe(PresenceWriter, () => {
  describe('the registry changes', () => {
    it('writes a connection, its binding and its first uid of the node, in one pipeline', async () => {
      const { registry, written, subscribed } = await setUp();
      const client = registry.add(socket());
      registry.bind(client, '42');
      expect(await written()).toEqual([
        ['hset', 'pg:node:{n}:clients', client.id, '{}'],
        ['sadd', 'pg:uid:42', client.id],
        ['sadd', 'pg:node:{n}:uids', '42'],
        ['hset', 'pg:node:{n}:clients', client.id, '{"uid":"42"}'],
      ]);
      expect(subscribed).toEqual(['pg:to:uid:42']);
    });

    it('adds a second connection of a uid to its index only', async () => {
      const { registry, written } = await setUp();
      registry.bind(registry.add(socket()), '42');
      await written();
      const second = registry.add(socket());
      registry.bind(second, '42');
      expect(await written()).toEqual([
        ['hset', 'pg:node:{n}:clients', second.id, '{}'],
        ['sadd', 'pg:uid:42', second.id],
        ['hset', 'pg:node:{n}:clients', second.id, '{"uid":"42"}'],
      ]);
    });

    it('moves a connection from uid to uid, and stops listening for a uid it left last', async () => {
      const { registry, written, subscribed } = await setUp();
      const client = registry.add(socket());
      registry.bind(client, 'old');
      await written();
      registry.bind(client, 'new');
      expect(await written()).toEqual([
        ['srem', 'pg:uid:old', client.id],
        ['srem', 'pg:node:{n}:uids', 'old'],
        ['sadd', 'pg:uid:new', client.id],
        ['sadd', 'pg:node:{n}:uids', 'new'],
        ['hset', 'pg:node:{n}:clients', client.id, '{"uid":"new"}'],
      ]);
      expect(subscribed).toEqual(['pg:to:uid:new']);
    });

    it('keeps groups in the record, and listens to a group while it has a member here', async () => {
      const { registry, written, subscribed } = await setUp();
      const client = registry.add(socket());
      registry.join(client, 'g1');
      registry.join(client, 'g2');
      await written();
      expect(subscribed).toEqual(['pg:to:group:g1', 'pg:to:group:g2']);
      registry.leave(client, 'g1');
      expect(await written()).toEqual([
        ['srem', 'pg:group:g1', client.id],
        ['srem', 'pg:node:{n}:groups', 'g1'],
        ['hset', 'pg:node:{n}:clients', client.id, '{"groups":["g2"]}'],
      ]);
      expect(subscribed).toEqual(['pg:to:group:g2']);
    });

    it('takes a dissolved group off its members and the node', async () => {
      const { registry, written, subscribed } = await setUp();
      const [a, b] = [registry.add(socket()), registry.add(socket())];
      registry.join(a, 'g');
      registry.join(b, 'g');
      await written();
      registry.ungroup('g');
      expect(await written()).toEqual([
        ['srem', 'pg:group:g', a.id],
        ['hset', 'pg:node:{n}:clients', a.id, '{}'],
        ['srem', 'pg:group:g', b.id],
        ['hset', 'pg:node:{n}:clients', b.id, '{}'],
        ['srem', 'pg:node:{n}:groups', 'g'],
      ]);
      expect(subscribed).toEqual([]);
    });

    it('removes a closed connection from everything it was in', async () => {
      const { registry, written, subscribed } = await setUp();
      const [client, other] = [registry.add(socket()), registry.add(socket())];
      registry.bind(client, 'u');
      registry.join(client, 'alone');
      registry.join(client, 'shared');
      registry.join(other, 'shared');
      await written();
      registry.remove(client);
      expect(await written()).toEqual([
        ['hdel', 'pg:node:{n}:clients', client.id],
        ['srem', 'pg:uid:u', client.id],
        ['srem', 'pg:node:{n}:uids', 'u'],
        ['srem', 'pg:group:alone', client.id],
        ['srem', 'pg:node:{n}:groups', 'alone'],
        ['srem', 'pg:group:shared', client.id],
      ]);
      expect(subscribed).toEqual(['pg:to:group:shared']);
    });
  });

  describe('pause', () => {
    it('writes nothing while the link is down, but keeps the channels up to date', async () => {
      const { registry, writer, subscriptions, written } = await setUp();
      writer.pause();
      subscriptions.pause();
      registry.bind(registry.add(socket()), 'u');
      expect(await written()).toEqual([]);
      expect(subscriptions.has('pg:to:uid:u')).toBe(true);
    });
  });

  describe('resume', () => {
    it('gives the whole presence of the node to write again', async () => {
      const { registry, writer } = await setUp();
      writer.pause();
      const [a, b, c] = [
        registry.add(socket()),
        registry.add(socket()),
        registry.add(socket()),
      ];
      registry.bind(a, 'u');
      registry.bind(b, 'u');
      registry.join(b, 'g');
      registry.join(c, 'g');
      expect(writer.resume()).toEqual([
        [
          'hset',
          'pg:node:{n}:clients',
          a.id,
          '{"uid":"u"}',
          b.id,
          '{"uid":"u","groups":["g"]}',
          c.id,
          '{"groups":["g"]}',
        ],
        ['sadd', 'pg:uid:u', a.id, b.id],
        ['sadd', 'pg:node:{n}:uids', 'u'],
        ['sadd', 'pg:group:g', b.id, c.id],
        ['sadd', 'pg:node:{n}:groups', 'g'],
      ]);
    });

    it('writes nothing when the node has no connection', async () => {
      const { writer } = await setUp();
      expect(writer.resume()).toEqual([]);
    });
  });
});
