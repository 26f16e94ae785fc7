import type { Redis, Result } from 'ioredis';
import { HISTORY_SCRIPTS } from './history-scripts.js';

/** Redis's clock in ms: every node judges liveness by the same clock, whatever its own says. */
const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Removes a node's connections from the uid and group indexes (read from its clients hash, whose
 * records list each connection's uid and groups), then the node's own keys.
 * KEYS: clients, uids, groups. ARGV (from `offset`): uid key prefix, group key prefix.
 */
const FORGET = `
local function forget(offset)
  local entries = redis.call('HGETALL', KEYS[3])
  local count = #entries / 2
  for i = 1, #entries, 2 do
    local ok, record = pcall(cjson.decode, entries[i + 1])
    if ok and type(record) == 'table' then
      if type(record.uid) == 'string' then
        redis.call('SREM', ARGV[offset] .. record.uid, entries[i])
      end
      if type(record.groups) == 'table' then
        for _, group in ipairs(record.groups) do
          redis.call('SREM', ARGV[offset + 1] .. group, entries[i])
        end
      end
    end
  end
  redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
  return count
end
`;

/**
 * The scripts of node liveness. Each takes the node's keys in this order: nodes (the ZSET of
 * deadlines), owner, clients, uids, groups (`tick` and `liveNodes` fewer).
 */
export const SCRIPTS = {
  /**
   * Takes the node id for this process (ARGV: node, token, ttl ms, uid key prefix, group key
   * prefix) unless another process holds it and is alive: 1 taken, 0 held. Whatever an earlier
   * holder of the id left (this process before a reconnect, or a run that was killed) is removed.
   */
  claimNode: {
    numberOfKeys: 5,
    lua: `${NOW}${FORGET}
local now = now_ms()
local deadline = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
local owner = redis.call('GET', KEYS[2])
if deadline and deadline > now and owner and owner ~= ARGV[2] then
  return 0
end
forget(4)
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1`,
  },
  /**
   * Renews the node's deadline if this process still holds its id (ARGV: node, token, ttl ms).
   * Returns [held (1 or 0), live node ids, node ids past their deadline].
   */
  tickNode: {
    numberOfKeys: 2,
    lua: `${NOW}
local now = now_ms()
local held = redis.call('GET', KEYS[2]) == ARGV[2]
if held then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
end
return {
  held and 1 or 0,
  redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf'),
  redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
}`,
  },
  /**
   * Removes a node that is past its deadline, with everything it held (ARGV: node, uid key
   * prefix, group key prefix): how many connections it had, or -1 when it is alive (or gone
   * already). Safe to run from every node at once.
   */
  reapNode: {
    numberOfKeys: 5,
    lua: `${NOW}${FORGET}
local deadline = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
if not deadline or deadline > now_ms() then
  return -1
end
local count = forget(2)
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return count`,
  },
  /**
   * A clean shutdown: removes the node and everything it held, if this process holds its id
   * (ARGV: node, token, uid key prefix, group key prefix).
   */
  leaveNode: {
    numberOfKeys: 5,
    lua: `${FORGET}
if redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return 0
end
forget(3)
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1`,
  },
  /** The ids of the nodes alive now. KEYS: nodes. */
  liveNodes: {
    numberOfKeys: 1,
    lua: `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now_ms(), '+inf')`,
  },
} as const;

type Key = string;

/** The scripts as commands of a connection (and of its pipelines), once `defineScripts` ran. */
declare module 'ioredis' {
  interface RedisCommander<Context> {
    claimNode(
      ...args: [Key, Key, Key, Key, Key, string, string, number, string, string]
    ): Result<number, Context>;
    tickNode(
      ...args: [Key, Key, string, string, number]
    ): Result<[number, string[], string[]], Context>;
    reapNode(
      ...args: [Key, Key, Key, Key, Key, string, string, string]
    ): Result<number, Context>;
    leaveNode(
      ...args: [Key, Key, Key, Key, Key, string, string, string, string]
    ): Result<number, Context>;
    liveNodes(nodes: Key): Result<string[], Context>;
  }
}

/** Makes the scripts commands of `redis` (EVALSHA, falling back to EVAL once per connection). */
export function defineScripts(redis: Redis): void {
  for (const [name, script] of Object.entries({
    ...SCRIPTS,
    ...HISTORY_SCRIPTS,
  })) {
    redis.defineCommand(name, script);
  }
}
