import { MessageBody } from '@nestjs/websockets';
import { PARAM_ARGS_METADATA } from '@nestjs/websockets/constants.js';
import { describe, expect, it } from 'vitest';
import { RawArguments } from './raw-arguments.decorator.js';

describe('RawArguments', () => {
  it('records an empty parameter record for the handler, and for no other', () => {
    class Gateway {
      @RawArguments()
      raw(): void {}

      other(): void {}
    }

    expect(Reflect.getMetadata(PARAM_ARGS_METADATA, Gateway, 'raw')).toEqual(
      {},
    );
    expect(
      Reflect.getMetadata(PARAM_ARGS_METADATA, Gateway, 'other'),
    ).toBeUndefined();
  });

  it('refuses a handler with parameter decorators, whose record it would erase', () => {
    expect(() => {
      class Gateway {
        @RawArguments()
        echo(@MessageBody() body: unknown): unknown {
          return body;
        }
      }
      return Gateway;
    }).toThrow(
      'Gateway.echo has parameter decorators: @RawArguments() would erase them',
    );
  });
});
