import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { InitDto } from '../../gateway/dto/init.dto.js';
import { ClientGroupDto } from '../../push/dto/client-group.dto.js';
import { ClientIdDto } from '../../push/dto/client-id.dto.js';
import { ClientUidDto } from '../../push/dto/client-uid.dto.js';
import { CloseClientDto } from '../../push/dto/close-client.dto.js';
import { GroupDto } from '../../push/dto/group.dto.js';
import { SendToAllDto } from '../../push/dto/send-to-all.dto.js';
import { SendToClientDto } from '../../push/dto/send-to-client.dto.js';
import { SendToGroupDto } from '../../push/dto/send-to-group.dto.js';
import { SendToUidDto } from '../../push/dto/send-to-uid.dto.js';
import { SendDto } from '../../push/dto/send.dto.js';
import { SessionDto } from '../../push/dto/session.dto.js';
import { UidDto } from '../../push/dto/uid.dto.js';
import { compileRules } from './compiled-rules.js';
import { normalizeNames } from './is-name.decorator.js';

const DTOS = [
  InitDto,
  SendDto,
  SendToUidDto,
  SendToClientDto,
  SendToGroupDto,
  SendToAllDto,
  ClientIdDto,
  UidDto,
  GroupDto,
  ClientUidDto,
  ClientGroupDto,
  SessionDto,
  CloseClientDto,
];

/** Values of every kind a field can get from JSON, good and bad for each rule. */
const VALUES: unknown[] = [
  undefined,
  null,
  '',
  'u',
  'é'.repeat(128),
  'é'.repeat(129),
  'x'.repeat(64),
  'x'.repeat(65),
  '\ud800',
  0,
  42,
  -1.5,
  true,
  [],
  ['a', 'b'],
  ['a', ''],
  [1, 2],
  ['a', null],
  [{}],
  {},
  { a: 1 },
];

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('compileRules', () => {
  it.each(DTOS)('decides exactly as validateSync for %o', (dtoClass) => {
    const fields = [
      ...new Set([
        ...Object.keys(new dtoClass()),
        'uid',
        'uids',
        'message',
        'client_id',
        'client_ids',
        'group',
        'groups',
        'exclude',
        'session',
        'task_id',
        'openid',
        'data',
      ]),
    ];
    const next = random(DTOS.indexOf(dtoClass) + 1);
    const rules = compileRules(dtoClass);
    expect(rules).not.toBeNull();
    let valid = 0;
    for (let i = 0; i < 3000; i++) {
      const dto = new dtoClass() as Record<string, unknown>;
      for (const field of fields) {
        if (next() < 0.6) {
          dto[field] = VALUES[Math.floor(next() * VALUES.length)];
        }
      }
      normalizeNames(dto);
      const expected =
        validateSync(dto, { forbidUnknownValues: true }).length === 0;
      expect(rules!(dto), JSON.stringify(dto)).toBe(expected);
      valid += Number(expected);
    }
    // The corpus must exercise both answers to prove anything.
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(3000);
  });

  it('has no compiled form for a class without rules', () => {
    class Plain {
      x = 1;
    }
    expect(compileRules(Plain)).toBeNull();
  });
});
