import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import {
  PATTERN_METADATA,
  TRANSPORT_METADATA,
} from '@nestjs/microservices/constants';
import {
  GATEWAY_METADATA,
  MESSAGE_METADATA,
} from '@nestjs/websockets/constants';
import { ClientMessage } from './gateway/client-message.js';
import { PushGateway } from './gateway/push.gateway.js';
import { isPushCommand } from './push/push-command.js';
import { TEXT_TRANSPORT } from './push/transport/text-transport-id.js';

const RESERVED: ReadonlySet<string> = new Set(Object.values(ClientMessage));

/**
 * Refuses to start when two handlers would claim one message, which would leave it to registration
 * order which one runs: an application gateway subscribing to a message Pushgate handles itself
 * (`init`, `pong`) or to a backend command (which browsers may never send), or two
 * `@MessagePattern` handlers of one text command on the text port (an application replacing
 * `send`, say).
 */
@Injectable()
export class ReservedNamesCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    for (const { name, message } of this.handlers(
      this.discovery.getProviders(),
      MESSAGE_METADATA,
    )) {
      if (RESERVED.has(message) || isPushCommand(message)) {
        throw new Error(
          `${name} subscribes to "${message}", which Pushgate reserves`,
        );
      }
    }
    const owners = new Map<string, string>();
    for (const { name, message, handler } of this.handlers(
      this.discovery.getControllers(),
      PATTERN_METADATA,
    )) {
      // A command declared for another transport (the application's own microservice) is not
      // served on the text port.
      const transport: unknown = Reflect.getMetadata(
        TRANSPORT_METADATA,
        handler,
      );
      if (transport !== undefined && transport !== TEXT_TRANSPORT) {
        continue;
      }
      const owner = owners.get(message);
      if (owner !== undefined) {
        throw new Error(
          `${owner} and ${name} both handle the text command "${message}"`,
        );
      }
      owners.set(message, name);
    }
  }

  /** Each method of these classes declared (under `key`) for a message, with that message. */
  private *handlers(wrappers: InstanceWrapper[], key: string) {
    for (const { instance, metatype } of wrappers) {
      if (
        typeof metatype !== 'function' ||
        metatype === PushGateway ||
        instance == null ||
        (key === MESSAGE_METADATA &&
          !Reflect.getMetadata(GATEWAY_METADATA, metatype))
      ) {
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as Record<
        string,
        object
      >;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const declared: unknown = Reflect.getMetadata(key, prototype[method]);
        for (const message of [declared].flat()) {
          if (typeof message === 'string') {
            yield {
              name: `${metatype.name}.${method}`,
              message,
              handler: prototype[method],
            };
          }
        }
      }
    }
  }
}
