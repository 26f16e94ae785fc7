import { IsPosition } from './is-position.decorator.js';

/** `{"type":"ack","position":N}`: the browser received the push at that position of its uid. */
export class AckDto {
  @IsPosition()
  position!: number;
}
