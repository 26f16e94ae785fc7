import { describe, expect, it } from 'vitest';
import {
  type BatchWriter,
  joinBatch,
  inOneWrite,
  MIN_BATCH_RUN,
  writeRun,
} from './write-batch.js';

/**
 * A writer as a socket uses the batch: within one it holds its texts, and writes them all at once
 * when released. Each write is recorded as the texts it carried.
 */
function writer() {
  const writes: string[][] = [];
  let held: string[] | undefined;
  const self = {
    releases: 0,
    writes,
    write(text: string) {
      if (held === undefined && !joinBatch(self)) {
        writes.push([text]);
      } else {
        (held ??= []).push(text);
      }
    },
    release() {
      self.releases++;
      if (held !== undefined) {
        writes.push(held);
        held = undefined;
      }
    },
  } satisfies BatchWriter & Record<string, unknown>;
  return self;
}

describe('inOneWrite', () => {
  it('sends what a batch wrote to each writer as one write, in order, when it returns', () => {
    const a = writer();
    const b = writer();
    inOneWrite(() => {
      a.write('1');
      b.write('x');
      a.write('2');
      a.write('3');
      expect(a.writes).toEqual([]);
    });
    expect(a.writes).toEqual([['1', '2', '3']]);
    expect(b.writes).toEqual([['x']]);
    expect([a.releases, b.releases]).toEqual([1, 1]);
  });

  it('holds nothing outside a batch', () => {
    const a = writer();
    a.write('1');
    a.write('2');
    expect(a.writes).toEqual([['1'], ['2']]);
    expect(a.releases).toBe(0);
  });

  it('makes a nested batch part of the outer one', () => {
    const a = writer();
    inOneWrite(() => {
      a.write('1');
      inOneWrite(() => a.write('2'));
      expect(a.writes).toEqual([]);
      a.write('3');
    });
    expect(a.writes).toEqual([['1', '2', '3']]);
    expect(a.releases).toBe(1);
  });

  it('returns what the batch returns, and releases what it kept when it throws', () => {
    const a = writer();
    expect(inOneWrite(() => 42)).toBe(42);
    expect(() =>
      inOneWrite(() => {
        a.write('1');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(a.writes).toEqual([['1']]);
    // The batch is over: the next write goes out at once.
    a.write('2');
    expect(a.writes).toEqual([['1'], ['2']]);
  });

  it('releases every writer when one of them throws, then throws its error', () => {
    const [a, b] = [writer(), writer()];
    const failing = {
      release() {
        throw new Error('release failed');
      },
    };
    expect(() =>
      inOneWrite(() => {
        a.write('1');
        joinBatch(failing);
        b.write('x');
      }),
    ).toThrow('release failed');
    expect([a.writes, b.writes]).toEqual([[['1']], [['x']]]);
  });
});

describe('writeRun', () => {
  it('holds the writes of a run of MIN_BATCH_RUN pushes or more, and not of a shorter one', () => {
    const a = writer();
    writeRun(MIN_BATCH_RUN - 1, () =>
      ['1', '2'].forEach((text) => a.write(text)),
    );
    expect(a.writes).toEqual([['1'], ['2']]);
    writeRun(MIN_BATCH_RUN, () => ['3', '4'].forEach((text) => a.write(text)));
    expect(a.writes).toEqual([['1'], ['2'], ['3', '4']]);
  });
});
