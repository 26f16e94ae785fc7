import { LineTooLongError } from '../../common/errors/line-too-long.error.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Turns a byte stream into lines: `\n`-terminated, an optional `\r` before it dropped, decoded as
 * UTF-8. Lines are cut on bytes and decoded whole; since the byte `\n` never occurs inside a
 * multi-byte UTF-8 sequence, a character split across chunks is always reassembled first.
 *
 * A line longer than `maxBytes` is reported once, in its place in the stream, as a
 * `LineTooLongError`; the rest of it is discarded up to the next newline. At most `maxBytes` + 1
 * bytes are ever held, however long the line.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxBytes: number) {}

  /** Feeds one chunk; returns the lines it completed, in order. */
  push(chunk: Buffer): Array<string | LineTooLongError> {
    const lines: Array<string | LineTooLongError> = [];
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

  private keep(tail: Buffer, lines: Array<string | LineTooLongError>): void {
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
  ): string | LineTooLongError {
    if (end > start && bytes[end - 1] === CR) {
      end--;
    }
    if (end - start > this.maxBytes) {
      return new LineTooLongError(this.maxBytes);
    }
    return bytes.toString('utf8', start, end);
  }
}
