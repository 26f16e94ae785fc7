import { applyDecorators } from '@nestjs/common';
import { IsArray, IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Client ids are short strings of the server's making; anything longer is not one. */
const MAX_CLIENT_ID_LENGTH = 64;

/** A client id, as `init_ok` gave it; with `each`, an array of them. */
export function IsClientId({ each = false } = {}): PropertyDecorator {
  const message = each
    ? '$property must be an array of client ids (strings)'
    : '$property must be a client id (a string)';
  return applyDecorators(
    ...(each ? [IsArray({ message })] : []),
    IsString({ each, message }),
    IsNotEmpty({ each, message }),
    MaxLength(MAX_CLIENT_ID_LENGTH, { each, message }),
  );
}
