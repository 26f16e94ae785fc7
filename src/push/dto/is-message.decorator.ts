import { IsDefined } from 'class-validator';

/** The `message` of a send: a string, sent as it is, or any JSON value but null. */
export function IsMessage(): PropertyDecorator {
  return IsDefined({
    message: '$property is required: a string or any JSON value but null',
  });
}
