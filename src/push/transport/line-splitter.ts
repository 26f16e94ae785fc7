import { Buffer, isUtf8 } from 'node:buffer';
import { BadJsonError } from '../../common/errors/bad-json.error.js';
import { LineTooLongError } from '../../common/errors/line-too-long.error.js';
import type { PushError } from '../../common/errors/push.error.js';

const LF = 0x0a;
const CR = 0x0d;
/** What the decoder puts in place of bytes that are not UTF-8. */
const REPLACEMENT = '\ufffd';

/**
 * Turns a byte stream into lines: `\n`-terminated, an optional `\r` before it dropped, decoded as
 * UTF-8. Lines are cut on bytes and decoded whole; since the byte `\n` never occurs inside a
 * multi-byte UTF-8 sequence, a character split across chunks is always reassembled first.
 *
 * A line that cannot be used is reported in its place in the stream: one longer than `maxBytes`
 * as a `LineTooLongError` (the rest of it is discarded up to the next newline), one that is not
 * UTF-8 as a `BadJsonError` (instead of being decoded into replacement characters, which would
 * make different uids equal). At most `maxBytes` + 1 bytes are ever held, however long the line.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxBytes: number) {}

  /** Feeds one chunk; returns the lines it completed, in order. */
  push(chunk: Buffer): Array<string | PushError> {
    const lines: Array<string | PushError> = [];
    let start = 0;
    let end: number;
    while ((end = chunk.indexOf(LF, start)) !== -1) {
      if (this.discarding) {
        this.discarding = false;
      } else if (this.pendingBytes > 0) {
        this.pending.push(chunk.subarray(start, end));
        const line = Buffer.concat(this.pending);
        lines.push(this.decode(line, 0, line.length));
      } else {
        lines.push(this.decode(chunk, start, end));
      }
      this.pending = [];
      this.pendingBytes = 0;
      start = end + 1;
    }
    if (start < chunk.length && !this.discarding) {
      this.keep(chunk.subarray(start), lines);
    }
    return lines;
  }

  /** Bytes of a line still waiting for its newline. */
  get partialBytes(): number {
    return this.pendingBytes;
  }

  private keep(tail: Buffer, lines: Array<string | PushError>): void {
    // One byte of slack: the line may still end in "\r\n".
    if (this.pendingBytes + tail.length > this.maxBytes + 1) {
      lines.push(new LineTooLongError(this.maxBytes));
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = true;
      return;
    }
    // A copy, so that a short tail does not keep the whole chunk in memory.
    this.pending.push(Buffer.from(tail));
    this.pendingBytes += tail.length;
  }

  private decode(
    bytes: Buffer,
    start: number,
    end: number,
  ): string | PushError {
    if (end > start && bytes[end - 1] === CR) {
      end--;
    }
    if (end - start > this.maxBytes) {
      return new LineTooLongError(this.maxBytes);
    }
    const line = bytes.toString('utf8', start, end);
    // Bytes that are not UTF-8 decode to U+FFFD, so a line without one was valid: the bytes are
    // checked only for a line that has one, which spares every other line a view and a scan.
    if (line.includes(REPLACEMENT) && !isUtf8(bytes.subarray(start, end))) {
      return new BadJsonError('the line is not valid UTF-8');
    }
    return line;
  }
}
