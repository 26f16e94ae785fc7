import { Injectable } from '@nestjs/common';
import { PushConfig } from '../config/push-config.js';

/** Why an upgrade is refused: its HTTP status, the limit (a metric label), and a reason for the log. */
export interface Refusal {
  status: 403 | 503;
  limit: 'origin' | 'max_connections' | 'max_connections_per_ip';
  reason: string;
}

/**
 * Which WebSocket upgrades the server takes: from allowed origins only (`PUSH_ALLOWED_ORIGINS`),
 * and no more connections than `PUSH_MAX_CONNECTIONS`, in all and `PUSH_MAX_CONNECTIONS_PER_IP`
 * from one remote address. An upgrade without an `Origin` header comes from a program, not a
 * browser page, which origins cannot restrict; it is taken.
 */
@Injectable()
export class ConnectionGate {
  private readonly origins: ReadonlySet<string> | undefined;
  private readonly perAddress = new Map<string, number>();
  private open = 0;
  /** Called once no connection is open: see `noneOpen`. */
  private readonly whenNoneOpen: Array<() => void> = [];

  constructor(private readonly config: PushConfig) {
    const origins = config.allowedOrigins
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '');
    this.origins = origins.length > 0 ? new Set(origins) : undefined;
  }

  /** Whether the per-address limit needs each connection's address. */
  get countsAddresses(): boolean {
    return this.config.maxConnectionsPerIp > 0;
  }

  /** Undefined when an upgrade may go on; otherwise why not. */
  check(
    origin: string | undefined,
    address: string | undefined,
  ): Refusal | undefined {
    if (
      this.origins !== undefined &&
      origin !== undefined &&
      !this.origins.has(origin)
    ) {
      return {
        status: 403,
        limit: 'origin',
        reason: `origin ${origin} is not allowed`,
      };
    }
    if (this.open >= this.config.maxConnections) {
      return {
        status: 503,
        limit: 'max_connections',
        reason: 'the server holds PUSH_MAX_CONNECTIONS connections',
      };
    }
    if (
      this.countsAddresses &&
      address !== undefined &&
      (this.perAddress.get(address) ?? 0) >= this.config.maxConnectionsPerIp
    ) {
      return {
        status: 503,
        limit: 'max_connections_per_ip',
        reason: `${address} holds PUSH_MAX_CONNECTIONS_PER_IP connections`,
      };
    }
    return undefined;
  }

  opened(address: string | undefined): void {
    this.open++;
    if (address !== undefined) {
      this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    }
  }

  /** Resolves once every connection has closed. */
  noneOpen(): Promise<void> {
    return this.open === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.whenNoneOpen.push(resolve));
  }

  closed(address: string | undefined): void {
    if (--this.open === 0) {
      this.whenNoneOpen.splice(0).forEach((resolve) => resolve());
    }
    if (address !== undefined) {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left === 0) {
        this.perAddress.delete(address);
      } else {
        this.perAddress.set(address, left);
      }
    }
  }
}
