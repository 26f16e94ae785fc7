import { validateSync } from 'class-validator';
import { ConfigError } from './config.error.js';
import { CONFIG_ENV, PushConfig, type PushgateOptions } from './push-config.js';

type Environment = Record<string, string | undefined>;

/**
 * The settings: each one from `options` when given there, else from its environment variable
 * (this is the only place Pushgate reads `process.env`), else its default. An empty variable
 * counts as unset. Invalid settings throw one `ConfigError` naming each of them as it was given.
 */
export function loadConfig(
  options: PushgateOptions = {},
  env: Environment = process.env,
): PushConfig {
  const config = new PushConfig();
  /** How each setting was given, to name it in an error. */
  const given: Partial<Record<keyof PushConfig, string>> = {};
  for (const key of Object.keys(CONFIG_ENV) as (keyof PushConfig)[]) {
    const text = env[CONFIG_ENV[key]];
    if (options[key] !== undefined) {
      Object.assign(config, { [key]: options[key] });
      given[key] = `${key}=${JSON.stringify(options[key])}`;
    } else if (text !== undefined && text !== '') {
      Object.assign(config, { [key]: coerce(text, config[key]) });
      given[key] = `${CONFIG_ENV[key]}=${JSON.stringify(text)}`;
    }
  }
  const errors = validateSync(config);
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map(({ property, constraints }) => {
        const key = property as keyof PushConfig;
        const reasons = new Set(Object.values(constraints ?? {}));
        return `${given[key] ?? CONFIG_ENV[key]} ${[...reasons].join(', ')}`;
      }),
    );
  }
  return config;
}

/**
 * A variable's text as the setting's type: numbers are plain decimal integers, booleans `true` or
 * `false`. Anything else stays a string and fails validation, naming the variable.
 */
function coerce(text: string, defaultValue: unknown): unknown {
  if (
    (typeof defaultValue === 'number' || defaultValue === null) &&
    /^\d+$/.test(text)
  ) {
    return Number(text);
  }
  if (
    typeof defaultValue === 'boolean' &&
    (text === 'true' || text === 'false')
  ) {
    return text === 'true';
  }
  return text;
}

/**
 * Only the named settings, from their variables: the command line reads no others, so that a bad
 * setting it does not use cannot stop it.
 */
export function loadSettings<K extends keyof PushConfig>(
  keys: readonly K[],
  env: Environment = process.env,
): Pick<PushConfig, K> {
  return loadConfig(
    {},
    Object.fromEntries(
      keys.map((key) => [CONFIG_ENV[key], env[CONFIG_ENV[key]]]),
    ),
  );
}
