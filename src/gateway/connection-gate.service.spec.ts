import { describe, expect, it } from 'vitest';
import { PushConfig } from '../config/push-config.js';
import { ConnectionGate } from './connection-gate.service.js';

function gate(settings: Partial<PushConfig>): ConnectionGate {
  return new ConnectionGate(Object.assign(new PushConfig(), settings));
}

describe(ConnectionGate, () => {
  it('takes any origin when none is configured', () => {
    expect(gate({}).check('https://any.example', '10.0.0.1')).toBeUndefined();
  });

  it('takes listed origins (spaces around commas ignored) and requests without one', () => {
    const origins = gate({
      allowedOrigins: 'https://a.example , https://b.example',
    });
    expect(origins.check('https://a.example', undefined)).toBeUndefined();
    expect(origins.check('https://b.example', undefined)).toBeUndefined();
    expect(origins.check(undefined, undefined)).toBeUndefined();
    expect(origins.check('https://a.example.evil', undefined)).toMatchObject({
      status: 403,
      limit: 'origin',
    });
  });

  it('counts connections in all, and frees a place when one closes', () => {
    const limited = gate({ maxConnections: 2, maxConnectionsPerIp: 0 });
    limited.opened(undefined);
    limited.opened(undefined);
    expect(limited.check(undefined, '10.0.0.1')).toMatchObject({
      status: 503,
      limit: 'max_connections',
    });
    limited.closed(undefined);
    expect(limited.check(undefined, '10.0.0.1')).toBeUndefined();
  });

  it('counts connections per address, each address apart', () => {
    const limited = gate({ maxConnectionsPerIp: 1 });
    expect(limited.countsAddresses).toBe(true);
    limited.opened('10.0.0.1');
    expect(limited.check(undefined, '10.0.0.1')).toMatchObject({
      status: 503,
      limit: 'max_connections_per_ip',
    });
    expect(limited.check(undefined, '10.0.0.2')).toBeUndefined();
    limited.closed('10.0.0.1');
    expect(limited.check(undefined, '10.0.0.1')).toBeUndefined();
  });

  it('does not count addresses when the per-address limit is off', () => {
    expect(gate({ maxConnectionsPerIp: 0 }).countsAddresses).toBe(false);
  });

  it('tells when the last open connection has closed (shutdown waits for it)', async () => {
    const counting = gate({});
    await counting.noneOpen(); // none open: at once
    counting.opened('10.0.0.1');
    counting.opened('10.0.0.2');
    let drained = false;
    const waiting = counting.noneOpen().then(() => (drained = true));
    counting.closed('10.0.0.1');
    await Promise.resolve();
    expect(drained).toBe(false);
    counting.closed('10.0.0.2');
    await waiting;
    expect(drained).toBe(true);
  });
});
