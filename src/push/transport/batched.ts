import type { Type } from '@nestjs/common';

/** The extras of a `@MessagePattern` whose handler takes the lines of its command in batches. */
export interface BatchedExtras {
  batchOf: Type<object>;
}

/**
 * `@MessagePattern(type, batched(Dto))`: the handler receives a run of consecutive lines of its
 * command at once, each validated against `Dto`, and answers with an array of results in the same
 * order (an `Error` in it fails that line alone). Nest's fixed cost per call is then paid once per
 * run, not once per line: on a hot command, a large share of what a line costs. The text port
 * and HTTP both call it so; a single command is a run of one.
 */
export function batched(dtoClass: Type<object>): BatchedExtras {
  return { batchOf: dtoClass };
}
