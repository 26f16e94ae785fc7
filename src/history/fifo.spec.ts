import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe(Fifo, () => {
  it('gives items back in the order they came, across compactions', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      fifo.push(i);
      if (i % 3 === 0) {
        out.push(fifo.shift()!);
      }
    }
    while (fifo.length > 0) {
      out.push(fifo.shift()!);
    }
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.peek()).toBeUndefined();
  });
});
