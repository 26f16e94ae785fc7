/**
 * Random and mutated input for the fuzz test: messages the server knows with fields of the wrong
 * type, hostile keys, deep nesting, huge numbers, broken UTF-8, NUL bytes and plain noise. Seeded,
 * so that a failing run can be replayed with its seed.
 */
export class FuzzInput {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /**
   * A WebSocket frame, and whether the server must close the connection for it: a text frame that
   * is not UTF-8 (1007) or over `PUSH_MAX_FRAME_BYTES` (1009). Those are rare, so that most frames
   * reach the parser.
   */
  frame(): { data: Buffer; binary: boolean; closes: boolean } {
    const roll = this.next();
    if (roll < 0.02) {
      return {
        data: Buffer.from([0x7b, 0xc0, 0x7d]),
        binary: false,
        closes: true,
      };
    }
    if (roll < 0.04) {
      return { data: Buffer.alloc(70_000, 0x20), binary: false, closes: true };
    }
    if (roll < 0.12) {
      return { data: this.bytes(this.int(200)), binary: true, closes: false };
    }
    const text = this.chance(0.1)
      ? this.nested(this.int(5000))
      : this.mutateText(JSON.stringify(this.message(BROWSER_TYPES)));
    const data = Buffer.from(text);
    return { data, binary: false, closes: data.length > 65_536 };
  }

  /** A text-port line, without its newline (which may be in it anyway). */
  line(): Buffer {
    return this.payload(BACKEND_TYPES);
  }

  private payload(types: readonly string[]): Buffer {
    switch (this.int(6)) {
      case 0:
        return this.bytes(this.int(200));
      case 1:
        return this.mutateBytes(
          Buffer.from(JSON.stringify(this.message(types))),
        );
      case 2:
        return Buffer.from(this.nested(this.int(5000)));
      default:
        return Buffer.from(JSON.stringify(this.message(types)));
    }
  }

  /** A message of a known type, with some fields of the right type and some wrong. */
  private message(types: readonly string[]): Record<string, unknown> {
    const message: Record<string, unknown> = { type: this.pick(types) };
    for (const field of FIELDS) {
      if (this.chance(0.4)) {
        message[field] = this.value(3);
      }
    }
    if (this.chance(0.2)) {
      message.type = this.value(1);
    }
    // Keys JSON.parse keeps as own properties, which a careless merge turns into prototype pollution.
    if (this.chance(0.15)) {
      const hostile = this.pick([
        '__proto__',
        'constructor',
        'prototype',
        'toString',
      ]);
      const text = `{"${hostile}":${JSON.stringify(this.value(2))},${JSON.stringify(message).slice(1)}`;
      return JSON.parse(text) as Record<string, unknown>;
    }
    return message;
  }

  private value(depth: number): unknown {
    switch (this.int(depth > 0 ? 12 : 9)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 5e-324]);
      case 3:
        return this.pick(UIDS);
      case 4:
        return 'x'.repeat(this.int(this.chance(0.05) ? 70_000 : 300));
      case 5:
        return this.pick([
          '',
          '\u0000',
          '\ud800',
          '\udfff\ud800',
          '💥',
          '\u202e',
          '%00',
        ]);
      case 6:
        return this.bytes(20).toString('latin1');
      case 7:
        return this.int(1_000_000);
      case 8:
        return this.pick(UIDS) + this.int(10);
      case 9:
        return Array.from({ length: this.int(5) }, () => this.value(depth - 1));
      default: {
        const object: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) {
          object[this.pick(['a', 'type', ...FIELDS])] = this.value(depth - 1);
        }
        return object;
      }
    }
  }

  /** Nesting far past what the server parses: arrays, objects, or both, maybe never closed. */
  private nested(depth: number): string {
    const open = this.pick(['[', '{"a":', '{"type":"init","task_id":']);
    const close = open === '[' ? ']' : '}';
    const tail = this.chance(0.7) ? close.repeat(depth) : '';
    return open.repeat(depth) + '1' + tail;
  }

  /** Characters swapped or cut, keeping the text valid UTF-8 as a browser would send it. */
  private mutateText(text: string): string {
    if (this.chance(0.5)) {
      return text;
    }
    const at = this.int(text.length);
    const cut = this.pick(['', '\u0000', '"', '{', '\\', '💥', '\ufffd']);
    return this.chance(0.3)
      ? text.slice(0, at)
      : text.slice(0, at) + cut + text.slice(at + 1);
  }

  private mutateBytes(bytes: Buffer): Buffer {
    const copy = Buffer.from(bytes);
    for (let i = 1 + this.int(4); i > 0 && copy.length > 0; i--) {
      const at = this.int(copy.length);
      switch (this.int(4)) {
        case 0:
          copy[at] = this.int(256); // maybe a NUL, maybe a broken UTF-8 lead byte
          break;
        case 1:
          copy[at] = 0xc0; // never valid UTF-8
          break;
        case 2:
          return copy.subarray(0, at); // truncated
        default:
          copy[at] = 0x00;
      }
    }
    return copy;
  }

  private bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** A whole number from 0 to `below` - 1. */
  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  /** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Uids the fuzzers use; the well-behaved client's own uid is not among them. */
const UIDS = ['u1', 'u2', 'group-a', '0', 'a b', '../etc'];

const BROWSER_TYPES = [
  'init',
  'pong',
  'ping',
  'send',
  'sendToAll',
  'auth',
  'nope',
];

const BACKEND_TYPES = [
  'send',
  'sendToUid',
  'sendToClient',
  'sendToGroup',
  'sendToAll',
  'bindUid',
  'unbindUid',
  'joinGroup',
  'leaveGroup',
  'ungroup',
  'setSession',
  'updateSession',
  'isOnline',
  'isUidOnline',
  'getClientIdByUid',
  'getUidByClientId',
  'getClientIdListByGroup',
  'getClientCountByGroup',
  'getUidListByGroup',
  'getUidCountByGroup',
  'getAllClientIdList',
  'getAllClientCount',
  'getAllUidList',
  'getAllUidCount',
  'getAllGroupIdList',
  'getSession',
  'auth',
  'init',
  'unknown',
];

const FIELDS = [
  'task_id',
  'uid',
  'client_id',
  'group',
  'message',
  'exclude',
  'client_ids',
  'session',
  'openid',
  'data',
  'id',
  'token',
  'secret',
];
