import { createHash, timingSafeEqual } from 'node:crypto';
import { toErrorBody } from '../../common/errors/error-body.js';
import type { PushError } from '../../common/errors/push.error.js';
import { UnauthorizedError } from '../../common/errors/unauthorized.error.js';
import { parseObject } from '../../common/protocol/parse-message.js';
import type { Reply } from './text.transport.js';

/** What the first line of a connection decides. */
export interface Verdict {
  /** Whether the connection may go on. */
  ok: boolean;
  /** Whether the line was the `auth` line, which is not a command to run. */
  consumed: boolean;
  /** What to answer, if anything. */
  reply?: Reply;
}

/** Milliseconds a connection has to send its `auth` line. */
export const AUTH_TIMEOUT_MS = 10_000;

/** Connections the port holds at once while they have not authenticated; beyond, new ones are dropped. */
const MAX_UNAUTHENTICATED = 1024;

/**
 * The text port's shared secret (`PUSH_TEXT_SECRET`): with one, a connection's first line must be
 * `{"type":"auth","secret":"..."}`, compared in constant time, within `AUTH_TIMEOUT_MS`; anything
 * else is answered `unauthorized` and the connection is closed. At most `MAX_UNAUTHENTICATED`
 * connections may wait to authenticate, so that whoever reaches the port without the secret
 * cannot hold it. Without a secret, an `auth` line is accepted and ignored, so that a backend
 * configured with a secret keeps working while servers change.
 */
export class TextAuth {
  private readonly digest: Buffer | undefined;
  private unauthenticated = 0;

  constructor(secret: string) {
    this.digest = secret === '' ? undefined : sha256(secret);
  }

  /** Whether connections must authenticate. */
  get required(): boolean {
    return this.digest !== undefined;
  }

  /** Whether a new connection may wait to authenticate; it then counts until `settled`. */
  accepts(): boolean {
    if (!this.required) {
      return true;
    }
    if (this.unauthenticated >= MAX_UNAUTHENTICATED) {
      return false;
    }
    this.unauthenticated++;
    return true;
  }

  /** A connection counted by `accepts` authenticated, or went. */
  settled(): void {
    if (this.required) {
      this.unauthenticated--;
    }
  }

  /** The answer to a connection that sent no `auth` line in time. */
  timedOut(): Reply {
    return refusal(`no auth line within ${AUTH_TIMEOUT_MS / 1000} s`);
  }

  /** Decides on a connection's first non-empty line. */
  check(line: string | PushError): Verdict {
    const fields = typeof line === 'string' ? parseQuietly(line) : undefined;
    if (fields?.type !== 'auth') {
      return this.digest === undefined
        ? { ok: true, consumed: false }
        : {
            ok: false,
            consumed: false,
            reply: refusal(
              'the first line must be {"type":"auth","secret":"..."}',
            ),
          };
    }
    const id =
      typeof fields.id === 'string' || typeof fields.id === 'number'
        ? fields.id
        : undefined;
    const secret = fields.secret;
    if (
      this.digest !== undefined &&
      (typeof secret !== 'string' ||
        !timingSafeEqual(sha256(secret), this.digest))
    ) {
      return { ok: false, consumed: true, reply: refusal('wrong secret', id) };
    }
    return {
      ok: true,
      consumed: true,
      reply: id === undefined ? undefined : { id, ok: true, result: true },
    };
  }
}

function refusal(message: string, id?: string | number): Reply {
  const error = toErrorBody(new UnauthorizedError(message));
  return id === undefined ? { ok: false, error } : { id, ok: false, error };
}

function parseQuietly(line: string): Record<string, unknown> | undefined {
  try {
    return parseObject(line);
  } catch {
    return undefined;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
