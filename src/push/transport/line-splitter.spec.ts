import { describe, expect, it } from 'vitest';
import { BadJsonError } from '../../common/errors/bad-json.error.js';
import { LineTooLongError } from '../../common/errors/line-too-long.error.js';
import { LineSplitter } from './line-splitter.js';

const bytes = (text: string) => Buffer.from(text);

describe(LineSplitter, () => {
  describe('push', () => {
    it('returns nothing until a newline arrives, then the whole line', () => {
      const splitter = new LineSplitter(100);
      expect(splitter.push(bytes('{"type":'))).toEqual([]);
      expect(splitter.push(bytes('"send"'))).toEqual([]);
      expect(splitter.push(bytes('}\n'))).toEqual(['{"type":"send"}']);
    });

    it('returns every line of a chunk, in order, and keeps the tail for later', () => {
      const splitter = new LineSplitter(100);
      expect(splitter.push(bytes('one\ntwo\nthree\nfo'))).toEqual([
        'one',
        'two',
        'three',
      ]);
      expect(splitter.push(bytes('ur\n'))).toEqual(['four']);
    });

    it('drops the \\r of a CRLF line ending, also when \\r and \\n arrive apart', () => {
      const splitter = new LineSplitter(100);
      expect(splitter.push(bytes('a\r\nb\r'))).toEqual(['a']);
      expect(splitter.push(bytes('\n'))).toEqual(['b']);
    });

    it('keeps a \\r that is not at the end of the line', () => {
      expect(new LineSplitter(100).push(bytes('a\rb\n'))).toEqual(['a\rb']);
    });

    it('returns empty lines as empty strings', () => {
      expect(new LineSplitter(100).push(bytes('\n\r\nx\n'))).toEqual([
        '',
        '',
        'x',
      ]);
    });

    it('reassembles a multi-byte character split across chunks, at every split point', () => {
      const line = bytes('日本 ✓ é😀\n');
      for (let cut = 1; cut < line.length; cut++) {
        const splitter = new LineSplitter(100);
        const lines = [
          ...splitter.push(line.subarray(0, cut)),
          ...splitter.push(line.subarray(cut)),
        ];
        expect(lines).toEqual(['日本 ✓ é😀']);
      }
    });

    it('reassembles a line fed one byte at a time', () => {
      const splitter = new LineSplitter(100);
      const lines = [...bytes('ab€\ncd\n')].flatMap((byte) =>
        splitter.push(Buffer.from([byte])),
      );
      expect(lines).toEqual(['ab€', 'cd']);
    });

    it('accepts a line of exactly maxBytes bytes, counted in UTF-8, with or without \\r', () => {
      const line = 'é'.repeat(5); // 10 bytes
      const splitter = new LineSplitter(10);
      expect(splitter.push(bytes(`${line}\n`))).toEqual([line]);
      expect(splitter.push(bytes(line))).toEqual([]);
      expect(splitter.push(bytes('\r'))).toEqual([]);
      expect(splitter.push(bytes('\n'))).toEqual([line]);
    });

    it('reports a complete over-long line in its place and goes on', () => {
      const lines = new LineSplitter(5).push(
        bytes('ok\ntoo long\nok too\nfine\n'),
      );
      expect(lines).toEqual([
        'ok',
        expect.any(LineTooLongError),
        expect.any(LineTooLongError),
        'fine',
      ]);
    });

    it('reports an over-long line once, as soon as it is known, and discards it up to the newline', () => {
      const splitter = new LineSplitter(5);
      expect(splitter.push(bytes('abc'))).toEqual([]);
      expect(splitter.push(bytes('defgh'))).toEqual([
        expect.any(LineTooLongError),
      ]);
      expect(splitter.push(bytes('more and more'))).toEqual([]);
      expect(splitter.push(bytes('end\nnext\n'))).toEqual(['next']);
      expect(splitter.partialBytes).toBe(0);
    });

    it('holds no more than maxBytes + 1 bytes of an unfinished line', () => {
      const splitter = new LineSplitter(1000);
      for (let i = 0; i < 100; i++) {
        splitter.push(Buffer.alloc(100, 'x'));
        expect(splitter.partialBytes).toBeLessThanOrEqual(1001);
      }
    });
  });

  describe('push, with bytes that are not UTF-8', () => {
    it('reports such a line in its place instead of decoding it into replacement characters', () => {
      const latin1 = Buffer.from('caf\xe9\n', 'latin1');
      const lines = new LineSplitter(100).push(
        Buffer.concat([Buffer.from('ok\n'), latin1, Buffer.from('fine\n')]),
      );
      expect(lines).toEqual(['ok', expect.any(BadJsonError), 'fine']);
      expect((lines[1] as BadJsonError).message).toContain('not valid UTF-8');
    });

    it('reports a lone surrogate encoded in UTF-8 (CESU) as invalid', () => {
      const lines = new LineSplitter(100).push(
        Buffer.from([0xed, 0xa0, 0x80, 0x0a]),
      );
      expect(lines).toEqual([expect.any(BadJsonError)]);
    });

    it('tells a replacement character that was sent from one that stands for bad bytes', () => {
      const lines = new LineSplitter(100).push(
        Buffer.concat([
          Buffer.from('sent \ufffd\nboth \ufffd '),
          Buffer.from([0xff]),
          Buffer.from('\n'),
        ]),
      );
      expect(lines).toEqual(['sent \ufffd', expect.any(BadJsonError)]);
    });
  });

  describe('partialBytes', () => {
    it('counts the bytes waiting for their newline', () => {
      const splitter = new LineSplitter(100);
      splitter.push(bytes('done\nhalf'));
      expect(splitter.partialBytes).toBe(4);
      splitter.push(bytes(' line\n'));
      expect(splitter.partialBytes).toBe(0);
    });
  });
});
