import { describe, expect, it } from 'vitest';
import { groupByNode, newNodeId, nodeOfClientId } from './node-id.js';

describe('newNodeId', () => {
  it('makes a different id each time', () => {
    expect(newNodeId()).toMatch(/^[0-9a-f]{8}$/);
    expect(newNodeId()).not.toBe(newNodeId());
  });
});

describe('nodeOfClientId', () => {
  it('reads the node from a cluster client id', () => {
    expect(nodeOfClientId('node-a.5f2c9a1e-1k')).toBe('node-a');
    expect(nodeOfClientId('5f2c9a1e.0badcafe-2')).toBe('5f2c9a1e');
  });

  it.each([
    '5f2c9a1e-1k',
    '.x-1',
    'with space.x-1',
    '',
    `${'x'.repeat(41)}.y-1`,
  ])('is undefined for an id no cluster node gave out: %j', (id) => {
    expect(nodeOfClientId(id)).toBeUndefined();
  });
});

describe('groupByNode', () => {
  it('groups ids by node, each once, and leaves out ids of no node', () => {
    expect(
      groupByNode(['a.x-1', 'b.x-1', 'a.x-2', 'a.x-1', 'single-node-1']),
    ).toEqual(
      new Map([
        ['a', ['a.x-1', 'a.x-2']],
        ['b', ['b.x-1']],
      ]),
    );
  });
});
