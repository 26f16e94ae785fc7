import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../common/errors/unauthorized.error.js';
import { ConfigError } from '../config/config.error.js';
import { PushConfig } from '../config/push-config.js';
import type { BindRequest } from '../gateway/bind-guard.js';
import { JwtBindGuard } from './jwt-bind.guard.js';
import { mintToken } from './mint-token.js';

const SECRET = 'a-secret-of-at-least-32-characters!!';

function guard(settings: Partial<PushConfig>): JwtBindGuard {
  return new JwtBindGuard(Object.assign(new PushConfig(), settings));
}

function request(uid: string, token?: string, url = '/'): BindRequest {
  return {
    uid,
    client: { id: 'c1', uid: undefined, groups: new Set(), session: {} },
    message: token === undefined ? {} : { token },
    handshake: { url, headers: {} },
  } as unknown as BindRequest;
}

/** The reason a refused binding gives. */
async function refusal(promise: Promise<boolean>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return (error as Error).message;
}

function signed(
  claims: Record<string, unknown>,
  sign: (jwt: SignJWT) => Promise<string>,
): Promise<string> {
  return sign(new SignJWT(claims));
}

const hs256 = (jwt: SignJWT, secret = SECRET) =>
  jwt
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));

describe(JwtBindGuard, () => {
  it('is off without a key', () => {
    expect(guard({}).enabled).toBe(false);
  });

  it('binds with a token minted for the uid', async () => {
    const token = await mintToken(SECRET, 'user 42', 60);
    expect(
      await guard({ jwtSecret: SECRET }).canBind(request('user 42', token)),
    ).toBe(true);
  });

  it('takes the token from the URL when init has none', async () => {
    const token = await mintToken(SECRET, 'u', 60);
    const url = `/?token=${encodeURIComponent(token)}`;
    expect(
      await guard({ jwtSecret: SECRET }).canBind(request('u', undefined, url)),
    ).toBe(true);
  });

  it('refuses a missing token, saying where to put one', async () => {
    expect(
      await refusal(guard({ jwtSecret: SECRET }).canBind(request('u'))),
    ).toMatch(/a token is required/);
  });

  it('refuses a token for another uid', async () => {
    const token = await mintToken(SECRET, 'alice', 60);
    expect(
      await refusal(
        guard({ jwtSecret: SECRET }).canBind(request('bob', token)),
      ),
    ).toBe('the token is not for uid "bob"');
  });

  it('refuses an expired token, beyond 30 s of leeway', async () => {
    const now = Math.floor(Date.now() / 1000);
    const late = await signed({ sub: 'u', exp: now - 20 }, hs256);
    const expired = await signed({ sub: 'u', exp: now - 60 }, hs256);
    const jwt = guard({ jwtSecret: SECRET });
    expect(await jwt.canBind(request('u', late))).toBe(true);
    expect(await refusal(jwt.canBind(request('u', expired)))).toBe(
      'the token has expired',
    );
  });

  it('refuses a token without exp', async () => {
    const forever = await signed({ sub: 'u' }, hs256);
    expect(
      await refusal(
        guard({ jwtSecret: SECRET }).canBind(request('u', forever)),
      ),
    ).toMatch(/"exp" claim/);
  });

  it('refuses a token signed with another secret, or not signed at all', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const forged = await signed({ sub: 'u', exp }, (jwt) =>
      hs256(jwt, 'another-secret-of-32-characters!!!!'),
    );
    const unsigned = [{ alg: 'none' }, { sub: 'u', exp }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.')
      .concat('.');
    const jwt = guard({ jwtSecret: SECRET });
    for (const token of [forged, unsigned, 'not.a.jwt', 'garbage']) {
      expect(await refusal(jwt.canBind(request('u', token)))).toBe(
        'the token is not valid',
      );
    }
  });

  it('checks RS256 and ES256 tokens against a public key, given as PEM or as a file', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'pushgate-jwt-'));
    const exp = Math.floor(Date.now() / 1000) + 60;
    for (const [alg, pair] of [
      ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ] as const) {
      const pem = pair.publicKey.export({
        type: 'spki',
        format: 'pem',
      }) as string;
      const file = join(directory, `${alg}.pem`);
      writeFileSync(file, pem);
      const token = await new SignJWT({ sub: 'u', exp })
        .setProtectedHeader({ alg })
        .sign(pair.privateKey);
      for (const jwtPublicKey of [pem, file]) {
        expect(await guard({ jwtPublicKey }).canBind(request('u', token))).toBe(
          true,
        );
      }
      // An HS256 token "signed" with the public key's text must not pass (algorithm confusion).
      const confused = await signed({ sub: 'u', exp }, (jwt) =>
        hs256(jwt, pem),
      );
      expect(
        await refusal(
          guard({ jwtPublicKey: pem }).canBind(request('u', confused)),
        ),
      ).toBe('the token is not valid');
    }
  });

  it('refuses to start with a key file that is missing or not a usable key', () => {
    expect(() => guard({ jwtPublicKey: '/nonexistent/key.pem' })).toThrow(
      ConfigError,
    );
    const ed = generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(() => guard({ jwtPublicKey: ed })).toThrow(/a ed25519 key/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(() => guard({ jwtPublicKey: p384 })).toThrow(/ES256 needs P-256/);
  });
});
