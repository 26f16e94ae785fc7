import { Injectable } from '@nestjs/common';
import { jwtVerify, errors as JoseErrors } from 'jose';
import { Buffer } from 'node:buffer';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config.error.js';
import { UnauthorizedError } from '../common/errors/unauthorized.error.js';
import { PushConfig } from '../config/push-config.js';
import type { BindGuard, BindRequest } from '../gateway/bind-guard.js';

/** Seconds of clock difference between the backend that signs and this server, tolerated. */
const CLOCK_TOLERANCE_S = 30;

/**
 * The uid must be proven: with `PUSH_JWT_SECRET` (HS256) or `PUSH_JWT_PUBLIC_KEY` (RS256, ES256)
 * set, `init` must carry a token (in the message's `token`, or the WebSocket URL's `token`
 * parameter) whose `sub` is the uid and whose `exp` has not passed. The backend that knows who the
 * user is signs it; the browser cannot forge one. Verified with `jose`.
 */
@Injectable()
export class JwtBindGuard implements BindGuard {
  private readonly key: KeyObject | undefined;
  private readonly algorithms: string[];

  constructor({ jwtSecret, jwtPublicKey }: PushConfig) {
    if (jwtSecret !== '') {
      this.key = createSecretKey(Buffer.from(jwtSecret));
      this.algorithms = ['HS256'];
    } else if (jwtPublicKey !== '') {
      this.key = publicKey(jwtPublicKey);
      this.algorithms =
        this.key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'];
    } else {
      this.algorithms = [];
    }
  }

  /** Whether tokens are required at all. */
  get enabled(): boolean {
    return this.key !== undefined;
  }

  /** Resolves to true for a good token; throws `unauthorized` saying what is wrong otherwise. */
  async canBind({ uid, message, handshake }: BindRequest): Promise<boolean> {
    const token =
      typeof message.token === 'string'
        ? message.token
        : new URL(handshake.url, 'ws://host').searchParams.get('token');
    if (!token) {
      throw new UnauthorizedError(
        'a token is required: send "token" in init, or ?token= in the URL',
      );
    }
    try {
      await jwtVerify(token, this.key!, {
        algorithms: this.algorithms,
        subject: uid,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      return true;
    } catch (error) {
      throw new UnauthorizedError(reason(error, uid));
    }
  }
}

/** The key of `PUSH_JWT_PUBLIC_KEY`: PEM text, or the path of a file holding it. */
function publicKey(setting: string): KeyObject {
  const given = setting.startsWith('-----BEGIN')
    ? 'PUSH_JWT_PUBLIC_KEY (PEM text)'
    : `PUSH_JWT_PUBLIC_KEY="${setting}"`;
  try {
    const key = createPublicKey(
      setting.startsWith('-----BEGIN')
        ? setting
        : readFileSync(setting, 'utf8'),
    );
    const { asymmetricKeyType: type, asymmetricKeyDetails: details } = key;
    if (type === 'ec' && details?.namedCurve !== 'prime256v1') {
      throw new Error(`an EC key on ${details?.namedCurve}; ES256 needs P-256`);
    }
    if (type !== 'rsa' && type !== 'ec') {
      throw new Error(`a ${type} key; RS256 needs RSA, ES256 EC P-256`);
    }
    return key;
  } catch (error) {
    throw new ConfigError([
      `${given} is not a usable public key: ${(error as Error).message}`,
    ]);
  }
}

function reason(error: unknown, uid: string): string {
  if (error instanceof JoseErrors.JWTExpired) {
    return 'the token has expired';
  }
  if (
    error instanceof JoseErrors.JWTClaimValidationFailed &&
    error.claim === 'sub'
  ) {
    return `the token is not for uid "${uid}"`;
  }
  if (error instanceof JoseErrors.JWTClaimValidationFailed) {
    return `the token's "${error.claim}" claim is missing or wrong`;
  }
  return 'the token is not valid';
}
