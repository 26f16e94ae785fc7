import { SignJWT } from 'jose';
import { Buffer } from 'node:buffer';
import { createSecretKey } from 'node:crypto';

/**
 * A token that lets a browser bind `uid` for `ttlSeconds`, signed with the HS256 secret shared
 * with Pushgate (`PUSH_JWT_SECRET`): what a backend hands the page (`pushgate token`).
 */
export function mintToken(
  secret: string,
  uid: string,
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(uid)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(createSecretKey(Buffer.from(secret)));
}
