import { describe, expect, it } from 'vitest';
import { ClusterKeys } from './cluster-keys.js';

describe(ClusterKeys, () => {
  const keys = new ClusterKeys('pg');

  describe('keys', () => {
    it('puts every key under the prefix', () => {
      expect([
        keys.nodes,
        keys.nodeClients('a'),
        keys.nodeUids('a'),
        keys.nodeGroups('a'),
        keys.nodeOwner('a'),
        keys.uid('42'),
        keys.group('room 9'),
      ]).toEqual([
        'pg:nodes',
        'pg:node:{a}:clients',
        'pg:node:{a}:uids',
        'pg:node:{a}:groups',
        'pg:node:{a}:owner',
        'pg:uid:42',
        'pg:group:room 9',
      ]);
    });

    it('gives the uid and group index prefixes the cleanup scripts append to', () => {
      expect(keys.uid('')).toBe('pg:uid:');
      expect(keys.group('')).toBe('pg:group:');
    });
  });

  describe('channels', () => {
    it('names one channel per uid, group and node, and one for all', () => {
      expect([
        keys.uidChannel('42'),
        keys.groupChannel('room 9'),
        keys.nodeChannel('a'),
        keys.allChannel,
      ]).toEqual([
        'pg:to:uid:42',
        'pg:to:group:room 9',
        'pg:to:node:a',
        'pg:to:all',
      ]);
    });
  });

  describe('uidOfChannel', () => {
    it('reads the uid back, whatever it contains', () => {
      expect(keys.uidOfChannel(keys.uidChannel('a:b {c}'))).toBe('a:b {c}');
    });

    it('is undefined for other channels', () => {
      expect(keys.uidOfChannel(keys.groupChannel('x'))).toBeUndefined();
      expect(keys.uidOfChannel('other:to:uid:x')).toBeUndefined();
    });
  });

  describe('groupOfChannel', () => {
    it('reads the group back', () => {
      expect(keys.groupOfChannel(keys.groupChannel('room 9'))).toBe('room 9');
      expect(keys.groupOfChannel(keys.uidChannel('x'))).toBeUndefined();
    });
  });
});
