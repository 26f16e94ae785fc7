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
 * Where a client finds the text port, from `PUSH_TEXT_HOST` and `PUSH_TEXT_PORT` alone (the
 * command line reads no other setting, so a bad one it does not use cannot stop it). An address a
 * server binds to listen everywhere is reached on loopback.
 */
export function loadTextAddress(env: Environment = process.env): {
  host: string;
  port: number;
} {
  const { textHost, textPort } = loadConfig(
    {},
    { PUSH_TEXT_HOST: env.PUSH_TEXT_HOST, PUSH_TEXT_PORT: env.PUSH_TEXT_PORT },
  );
  return {
    host: textHost === '0.0.0.0' || textHost === '::' ? '127.0.0.1' : textHost,
    port: textPort,
  };
}
