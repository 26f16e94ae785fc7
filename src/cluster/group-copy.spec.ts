import { describe, expect, it } from 'vitest';
import { Client } from '../registry/client.js';
import { groupCopyRecipients } from './group-copy.js';

function client(id: string, ...groups: string[]): Client {
  const created = new Client(id, {
    push: () => undefined,
    pushBacklog: () => undefined,
    close: () => undefined,
  });
  created.groups = new Set(groups);
  return created;
}

describe('groupCopyRecipients', () => {
  const a = client('a', 'g1');
  const b = client('b', 'g1', 'g2');
  const c = client('c', 'g2');
  const d = client('d', 'g2', 'g3');
  const members = new Map([
    ['g1', new Set([a, b])],
    ['g2', new Set([b, c, d])],
    ['g3', new Set([d])],
  ]);
  const membersOf = (group: string) => members.get(group);

  it('sends each copy to the members of its group in none of the groups before it', () => {
    const groups = ['g1', 'g2', 'g3'];
    const copies = [0, 1, 2].map((index) =>
      groupCopyRecipients(groups, index, membersOf).map(({ id }) => id),
    );
    expect(copies).toEqual([['a', 'b'], ['c', 'd'], []]);
  });

  it('reaches every member of every group exactly once, whatever the order', () => {
    const groups = ['g3', 'g2', 'g1'];
    const received = groups.flatMap((_, index) =>
      groupCopyRecipients(groups, index, membersOf).map(({ id }) => id),
    );
    expect(received.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves out the excluded', () => {
    expect(
      groupCopyRecipients(['g2'], 0, membersOf, ['c']).map(({ id }) => id),
    ).toEqual(['b', 'd']);
  });

  it('has nobody for a group without members here', () => {
    expect(groupCopyRecipients(['nobody'], 0, membersOf)).toEqual([]);
    expect(groupCopyRecipients(['g1'], 5, membersOf)).toEqual([]);
  });
});
