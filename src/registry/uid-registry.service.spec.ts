import { describe, expect, it } from 'vitest';
import type { ClientSocket } from './client.js';
import type { RegistryObserver } from './registry-observer.js';
import { sizeOf, UidRegistry } from './uid-registry.service.js';

const socket = (): ClientSocket => ({
  push: () => undefined,
  pushBacklog: () => undefined,
  close: () => undefined,
});

describe(UidRegistry, () => {
  describe('add', () => {
    it('gives every connection its own id', () => {
      const registry = new UidRegistry();
      const ids = new Set(
        Array.from({ length: 1000 }, () => registry.add(socket()).id),
      );
      expect(ids.size).toBe(1000);
      expect(registry.clientCount).toBe(1000);
    });

    it('gives ids that do not repeat across registries (server restarts)', () => {
      expect(new UidRegistry().add(socket()).id).not.toBe(
        new UidRegistry().add(socket()).id,
      );
    });

    it('registers the connection unbound', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      expect(client.uid).toBeUndefined();
      expect(registry.get(client.id)).toBe(client);
    });
  });

  describe('bind', () => {
    it('binds many connections to one uid', () => {
      const registry = new UidRegistry();
      const [a, b] = [registry.add(socket()), registry.add(socket())];
      registry.bind(a, 'u');
      registry.bind(b, 'u');
      expect([...registry.clientsOf('u')!]).toEqual([a, b]);
      expect(registry.uidCount).toBe(1);
    });

    it('moves a connection that is bound again to another uid', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      registry.bind(client, 'old');
      registry.bind(client, 'new');
      expect(client.uid).toBe('new');
      expect(registry.clientsOf('old')).toBeUndefined();
      expect([...registry.clientsOf('new')!]).toEqual([client]);
    });

    it('leaves the other connections of the old uid in place', () => {
      const registry = new UidRegistry();
      const [moving, staying] = [
        registry.add(socket()),
        registry.add(socket()),
      ];
      registry.bind(moving, 'old');
      registry.bind(staying, 'old');
      registry.bind(moving, 'new');
      expect([...registry.clientsOf('old')!]).toEqual([staying]);
    });

    it('keeps a uid with many connections, whatever their number', () => {
      const registry = new UidRegistry();
      const clients = Array.from({ length: 20 }, () => registry.add(socket()));
      for (const client of clients) {
        registry.bind(client, 'u');
      }
      expect(new Set(registry.clientsOf('u'))).toEqual(new Set(clients));
      for (const client of clients.slice(5)) {
        registry.remove(client);
      }
      expect(new Set(registry.clientsOf('u'))).toEqual(
        new Set(clients.slice(0, 5)),
      );
      for (const client of clients.slice(0, 5)) {
        registry.remove(client);
      }
      expect(registry.clientsOf('u')).toBeUndefined();
    });

    it('lets a caller iterating a uid remove connections without skipping any', () => {
      const registry = new UidRegistry();
      const clients = Array.from({ length: 3 }, () => registry.add(socket()));
      for (const client of clients) {
        registry.bind(client, 'u');
      }
      const seen = [];
      for (const client of registry.clientsOf('u')!) {
        seen.push(client);
        registry.remove(client); // as a push does that closes a slow client
      }
      expect(seen).toEqual(clients);
    });

    it('does nothing when bound again to the same uid', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      registry.bind(client, 'u');
      registry.bind(client, 'u');
      expect(sizeOf(registry.clientsOf('u'))).toBe(1);
    });
  });

  describe('unbind', () => {
    it('drops a uid with no connection left', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      registry.bind(client, 'u');
      registry.unbind(client);
      expect(client.uid).toBeUndefined();
      expect(registry.clientsOf('u')).toBeUndefined();
      expect(registry.uidCount).toBe(0);
    });

    it('ignores a connection that is not bound', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      expect(() => registry.unbind(client)).not.toThrow();
    });
  });

  describe('join', () => {
    it('puts connections in groups, each connection in any number of them', () => {
      const registry = new UidRegistry();
      const [a, b] = [registry.add(socket()), registry.add(socket())];
      registry.join(a, 'g1');
      registry.join(a, 'g2');
      registry.join(b, 'g1');
      registry.join(b, 'g1');
      expect([...registry.membersOf('g1')!]).toEqual([a, b]);
      expect([...registry.membersOf('g2')!]).toEqual([a]);
      expect([...a.groups!]).toEqual(['g1', 'g2']);
      expect([...registry.allGroups()]).toEqual(['g1', 'g2']);
      expect([...registry.allGroups()].length).toBe(2);
    });

    it('keeps groups apart from uids of the same name', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      registry.join(client, 'same');
      expect(registry.clientsOf('same')).toBeUndefined();
    });
  });

  describe('leave', () => {
    it('takes the connection out and drops the group with its last member', () => {
      const registry = new UidRegistry();
      const [a, b] = [registry.add(socket()), registry.add(socket())];
      registry.join(a, 'g');
      registry.join(b, 'g');
      expect(registry.leave(a, 'g')).toBe(true);
      expect([...registry.membersOf('g')!]).toEqual([b]);
      expect(registry.leave(b, 'g')).toBe(true);
      expect(registry.membersOf('g')).toBeUndefined();
      expect([...registry.allGroups()].length).toBe(0);
    });

    it('answers false for a group the connection is not in', () => {
      const registry = new UidRegistry();
      const [a, b] = [registry.add(socket()), registry.add(socket())];
      registry.join(b, 'g');
      expect(registry.leave(a, 'g')).toBe(false);
      expect(registry.leave(a, 'nowhere')).toBe(false);
      expect(sizeOf(registry.membersOf('g'))).toBe(1);
    });
  });

  describe('ungroup', () => {
    it('dissolves the group, updates its members, and counts them', () => {
      const registry = new UidRegistry();
      const [a, b] = [registry.add(socket()), registry.add(socket())];
      registry.join(a, 'g');
      registry.join(b, 'g');
      registry.join(b, 'other');
      expect(registry.ungroup('g')).toBe(2);
      expect(registry.membersOf('g')).toBeUndefined();
      expect([...a.groups!]).toEqual([]);
      expect([...b.groups!]).toEqual(['other']);
      expect(registry.ungroup('g')).toBe(0);
    });
  });

  describe('remove', () => {
    it('forgets the connection, its binding and its groups, and is safe to repeat', () => {
      const registry = new UidRegistry();
      const [client, other] = [registry.add(socket()), registry.add(socket())];
      registry.bind(client, 'u');
      registry.join(client, 'alone');
      registry.join(client, 'shared');
      registry.join(other, 'shared');
      registry.remove(client);
      registry.remove(client);
      expect(registry.get(client.id)).toBeUndefined();
      expect(registry.clientsOf('u')).toBeUndefined();
      expect(registry.membersOf('alone')).toBeUndefined();
      expect([...registry.membersOf('shared')!]).toEqual([other]);
      expect(registry.clientCount).toBe(1);
    });

    it('leaves the removed client describing the connection that left', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      registry.bind(client, 'u');
      registry.join(client, 'g');
      registry.remove(client);
      expect(client.uid).toBe('u');
      expect([...client.groups!]).toEqual(['g']);
    });

    it('ignores a removed client that is bound or joined later', () => {
      const registry = new UidRegistry();
      const client = registry.add(socket());
      registry.remove(client);
      registry.bind(client, 'u');
      registry.join(client, 'g');
      expect(registry.clientsOf('u')).toBeUndefined();
      expect(registry.membersOf('g')).toBeUndefined();
    });

    it('leaves nothing behind after many connections come and go', () => {
      const registry = new UidRegistry();
      for (let i = 0; i < 10_000; i++) {
        const client = registry.add(socket());
        registry.bind(client, `uid-${i % 100}`);
        if (i % 3 === 0) {
          registry.bind(client, `other-${i % 7}`);
        }
        registry.join(client, `group-${i % 13}`);
        registry.join(client, `group-${i % 5}`);
        registry.remove(client);
      }
      expect(registry.clientCount).toBe(0);
      expect(registry.uidCount).toBe(0);
      expect([...registry.allGroups()].length).toBe(0);
    });
  });

  describe('attach', () => {
    /** An observer that writes down what it hears, by client id. */
    function recorder(): { observer: RegistryObserver; heard: string[] } {
      const heard: string[] = [];
      const observer: RegistryObserver = {
        added: (client) => heard.push(`added ${client.id}`),
        removed: (client) => heard.push(`removed ${client.id} ${client.uid}`),
        bound: (client, previous) =>
          heard.push(`bound ${client.id} ${client.uid} from ${previous}`),
        unbound: (client, uid) => heard.push(`unbound ${client.id} ${uid}`),
        joined: (client, group) => heard.push(`joined ${client.id} ${group}`),
        left: (client, group) => heard.push(`left ${client.id} ${group}`),
        ungrouped: (group, members) =>
          heard.push(
            `ungrouped ${group} ${members.map(({ id }) => id).join()}`,
          ),
      };
      return { observer, heard };
    }

    it('puts the node id in front of every client id', () => {
      const registry = new UidRegistry();
      registry.attach('node-a', recorder().observer);
      expect(registry.add(socket()).id).toMatch(/^node-a\.[0-9a-f]{8}-1$/);
      expect(registry.add(socket()).id).toMatch(/^node-a\.[0-9a-f]{8}-2$/);
    });

    it('tells the observer of every change, once, after it is made', () => {
      const registry = new UidRegistry();
      const { observer, heard } = recorder();
      registry.attach('n', observer);
      const a = registry.add(socket());
      const b = registry.add(socket());
      registry.bind(a, 'u');
      registry.bind(a, 'u');
      registry.bind(a, 'v');
      registry.unbind(a);
      registry.unbind(a);
      registry.join(a, 'g');
      registry.join(a, 'g');
      registry.join(b, 'g');
      registry.leave(a, 'g');
      registry.leave(a, 'g');
      registry.ungroup('g');
      registry.ungroup('g');
      registry.bind(b, 'w');
      registry.remove(b);
      registry.remove(b);
      expect(heard).toEqual([
        `added ${a.id}`,
        `added ${b.id}`,
        `bound ${a.id} u from undefined`,
        `bound ${a.id} v from u`,
        `unbound ${a.id} v`,
        `joined ${a.id} g`,
        `joined ${b.id} g`,
        `left ${a.id} g`,
        `ungrouped g ${b.id}`,
        `bound ${b.id} w from undefined`,
        `removed ${b.id} w`,
      ]);
    });

    it('lets the observer see the registry as the change left it', () => {
      const registry = new UidRegistry();
      const sizes: number[] = [];
      registry.attach('n', {
        ...recorder().observer,
        bound: (client) => sizes.push(sizeOf(registry.clientsOf(client.uid!))),
        removed: (client) =>
          sizes.push(sizeOf(registry.clientsOf(client.uid!))),
      });
      const [a, b] = [registry.add(socket()), registry.add(socket())];
      registry.bind(a, 'u');
      registry.bind(b, 'u');
      registry.remove(a);
      registry.remove(b);
      expect(sizes).toEqual([1, 2, 1, 0]);
    });

    it('must come before the first connection', () => {
      const registry = new UidRegistry();
      registry.add(socket());
      expect(() => registry.attach('n', recorder().observer)).toThrow(
        'before the first connection',
      );
    });
  });
});
