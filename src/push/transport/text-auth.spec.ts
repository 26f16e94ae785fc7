import { describe, expect, it } from 'vitest';
import { LineTooLongError } from '../../common/errors/line-too-long.error.js';
import { TextAuth } from './text-auth.js';

const SECRET = 'text-secret-16+chars';

describe(TextAuth, () => {
  describe('with a secret', () => {
    const auth = new TextAuth(SECRET);

    it('admits the auth line with the secret, and takes it out of the commands', () => {
      expect(
        auth.check(JSON.stringify({ type: 'auth', secret: SECRET })),
      ).toEqual({
        ok: true,
        consumed: true,
        reply: undefined,
      });
    });

    it('answers an auth line that has an id', () => {
      expect(
        auth.check(JSON.stringify({ type: 'auth', secret: SECRET, id: 1 }))
          .reply,
      ).toEqual({ id: 1, ok: true, result: true });
    });

    it.each([
      [
        'a wrong secret',
        { type: 'auth', secret: 'wrong-secret-123456', id: 'a' },
      ],
      ['a secret that is not a string', { type: 'auth', secret: 12345 }],
      ['no secret', { type: 'auth' }],
      ['a command', { type: 'sendToUid', uid: 'u', message: 'm' }],
    ])('refuses %s with unauthorized', (_, line) => {
      const verdict = auth.check(JSON.stringify(line));
      expect(verdict.ok).toBe(false);
      expect(verdict.reply).toMatchObject({
        ok: false,
        error: { code: 'unauthorized' },
      });
    });

    it('refuses lines that are not JSON, or could not be read at all', () => {
      expect(auth.check('{"type":"auth",').ok).toBe(false);
      expect(auth.check(new LineTooLongError(10)).ok).toBe(false);
    });

    it('refuses a secret that is a prefix of the real one', () => {
      expect(
        auth.check(
          JSON.stringify({ type: 'auth', secret: SECRET.slice(0, -1) }),
        ).ok,
      ).toBe(false);
    });
  });

  describe('without a secret', () => {
    const auth = new TextAuth('');

    it('lets any first line through as a command', () => {
      expect(auth.check('{"type":"getAllClientCount"}')).toEqual({
        ok: true,
        consumed: false,
      });
    });

    it('accepts an auth line, whatever its secret, and takes it out', () => {
      expect(
        auth.check(JSON.stringify({ type: 'auth', secret: 'anything' })),
      ).toMatchObject({ ok: true, consumed: true });
    });
  });
});
