import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV } from './push-config.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** Operators configure from these two files: every setting must be in both. */
describe('the documentation of the settings', () => {
  const variables = Object.values(CONFIG_ENV);

  it.each(variables)('.env.example sets %s', (variable) => {
    expect(read('.env.example')).toMatch(new RegExp(`^${variable}=`, 'm'));
  });

  it.each(variables)('the README describes %s', (variable) => {
    expect(read('README.md')).toMatch(
      new RegExp(`^\\| .*\`${variable}\``, 'm'),
    );
  });
});
