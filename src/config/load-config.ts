import { validateSync } from 'class-validator';
import { ConfigError } from './config.error.js';
import { CONFIG_ENV, PushConfig } from './push-config.js';

type Environment = Record<string, string | undefined>;

/**
 * Reads the settings from environment variables (the only place Pushgate reads `process.env`),
 * fills in defaults and validates them. An unset or empty variable takes the default; a bad one
 * throws a `ConfigError` naming the variable.
 */
export function loadConfig(env: Environment = process.env): PushConfig {
  const config = new PushConfig();
  const given: Partial<Record<keyof PushConfig, string>> = {};
  for (const key of Object.keys(CONFIG_ENV) as (keyof PushConfig)[]) {
    const text = env[CONFIG_ENV[key]];
    if (text === undefined || text === '') {
      continue;
    }
    given[key] = text;
    Object.assign(config, { [key]: coerce(text, config[key]) });
  }
  const errors = validateSync(config);
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map(({ property, constraints }) => {
        const key = property as keyof PushConfig;
        const reasons = new Set(Object.values(constraints ?? {}));
        return `${CONFIG_ENV[key]}=${JSON.stringify(given[key])} ${[...reasons].join(', ')}`;
      }),
    );
  }
  return config;
}

/** Numbers are written as plain decimal integers; anything else stays a string and fails validation. */
function coerce(text: string, defaultValue: unknown): unknown {
  return typeof defaultValue === 'number' && /^\d+$/.test(text)
    ? Number(text)
    : text;
}
