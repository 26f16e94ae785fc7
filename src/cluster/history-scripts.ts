import type { Result } from 'ioredis';

/**
 * The scripts of the uid histories in Redis (docs/cluster.md): the offline buffer and the recovery
 * history of cluster mode, one history per uid, shared by every node. Each runs atomically, which
 * is what makes a push either reach a connection or be kept for the next one.
 *
 * An entry of a history's log is `<position> <expires> <state> <origin> <meta>\n<body>`: the
 * position, the Redis time (ms) after which it is dropped, `p` while nobody has received it
 * (pending) or `t` once somebody has, the node the push came through, the push's meta (as
 * published, without the position) and its frame. Positions are whole numbers beyond Lua's `%.14g`
 * (they start at the Redis time in microseconds), so they are always written with `%d`.
 *
 * Every script takes KEYS: queue, bytes, then its own. The history and log key prefixes, for
 * the logs a script reaches by uid, are its first two ARGV (`PREFIXES`), or part of its text
 * (`pushToUidScript`).
 */
const PREFIXES = `
local queue, total = KEYS[1], KEYS[2]
local history_prefix, log_prefix = ARGV[1], ARGV[2]
`;
const COMMON = `
local ENTRY_OVERHEAD = 100
local LOG_OVERHEAD = 200

local function fmt(n)
  return string.format('%d', n)
end

local function clock()
  local t = redis.call('TIME')
  local seconds, micros = tonumber(t[1]), tonumber(t[2])
  return seconds * 1000 + math.floor(micros / 1000), seconds * 1000000 + micros
end

local function header(entry)
  local position, expires, state = string.match(entry, '^(%d+) (%d+) (%a) ')
  return tonumber(position), tonumber(expires), state
end

-- Counts bytes in (or out of) the total of all histories; returns the new total.
local function charge(bytes)
  return redis.call('INCRBY', total, bytes)
end

-- Drops the oldest push of a log; false when it has none.
local function drop_oldest(history, log)
  local entry = redis.call('LPOP', log)
  if not entry then
    return false
  end
  redis.call('HSET', history, 'floor', fmt(header(entry)))
  charge(-(#entry + ENTRY_OVERHEAD))
  return true
end

local function drop_expired(history, log, now)
  while true do
    local head = redis.call('LINDEX', log, 0)
    if not head then
      return
    end
    local _, expires = header(head)
    if expires > now then
      return
    end
    drop_oldest(history, log)
  end
end

-- A new history, its positions starting at the Redis time in microseconds: above those of any
-- earlier history of the uid, so that a position from one is never taken for one of the other.
local function open(uid, now, micros, hold)
  local base = fmt(micros)
  local history = history_prefix .. uid
  redis.call('HSET', history, 'last', base, 'floor', base)
  charge(LOG_OVERHEAD + #uid)
  redis.call('ZADD', queue, now + hold, uid)
end

local function close(uid)
  local log = log_prefix .. uid
  local bytes = LOG_OVERHEAD + #uid
  for _, entry in ipairs(redis.call('LRANGE', log, 0, -1)) do
    bytes = bytes + #entry + ENTRY_OVERHEAD
  end
  if charge(-bytes) <= 0 then
    redis.call('DEL', total)
  end
  redis.call('DEL', history_prefix .. uid, log)
  redis.call('ZREM', queue, uid)
end
`;

/** What `pushToUidScript` builds in: a node's key names and settings. */
export interface PushScriptSettings {
  queue: string;
  total: string;
  historyPrefix: string;
  logPrefix: string;
  channelPrefix: string;
  ttlMs: number;
  maxPerUid: number;
  maxBytes: number;
}

/**
 * A push to one uid: publishes it on the uid's channel and keeps it in the uid's history when
 * there is one (with its position, then, in the published meta), or when nobody took it (the
 * offline buffer: a history is opened). Somebody took it when the node it came through wrote it
 * to a connection of the uid, or when another node received the publish.
 *
 * This is every cross-node push, so the common case (a uid without a history, taken) is two calls
 * and returns at once: in Redis 7.0 each call from a script and each argument cost about as much
 * as a plain command. So the node's key names and settings are part of the script's text (they
 * hold only `[\w.:-]`), and the helpers are defined only past that return.
 *
 * KEYS: the uid's history. ARGV: uid, message (as published without a position: `u <origin>
 * <meta>\n<frame>`), taken below (-1: taken here; otherwise the publishes the origin may receive
 * itself, 0 or 1: taken when there are more receivers). Returns the receivers, or, when the uid
 * has a history or the push was kept, [receivers, position, kept pending (1/0)].
 */
export function pushToUidScript(settings: PushScriptSettings): {
  numberOfKeys: number;
  lua: string;
} {
  const { ttlMs, maxPerUid, maxBytes } = settings;
  return {
    numberOfKeys: 1,
    lua: `
local history, uid, message, below = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local channel = '${settings.channelPrefix}' .. uid
local ttl = ${ttlMs}
local tracked = redis.call('EXISTS', history) == 1
local receivers
if not tracked then
  receivers = redis.call('PUBLISH', channel, message)
  if receivers > below or ttl <= 0 then
    return receivers
  end
end
local queue, total = '${settings.queue}', '${settings.total}'
local history_prefix, log_prefix = '${settings.historyPrefix}', '${settings.logPrefix}'
${COMMON}
local log = log_prefix .. uid
local now, micros = clock()
local origin, meta, body = string.match(message, '^u (%S+) {?([^\\n]-)}?\\n(.*)$')
local position
local taken = false
if tracked then
  -- One look at the oldest push: expired ones must not hold bytes that live ones need.
  local head = redis.call('LINDEX', log, 0)
  if head and select(2, header(head)) <= now then
    drop_expired(history, log, now)
  end
  position = redis.call('HINCRBY', history, 'last', 1)
  receivers = redis.call('PUBLISH', channel, 'u ' .. origin .. ' {"position":' .. fmt(position)
    .. (meta == '' and '' or ',' .. meta) .. '}\\n' .. body)
  taken = receivers > below
else
  open(uid, now, micros, ttl)
  position = redis.call('HINCRBY', history, 'last', 1)
end
local entry = fmt(position) .. ' ' .. fmt(now + ttl) .. ' ' .. (taken and 't' or 'p') .. ' '
  .. origin .. ' ' .. meta .. '\\n' .. body
local size = #entry + ENTRY_OVERHEAD
if size > ${maxBytes} then
  -- Alone over the cap: not kept, and nothing before it can be recovered.
  redis.call('HSET', history, 'floor', fmt(position))
  return {receivers, fmt(position), 0}
end
local length = redis.call('RPUSH', log, entry)
local bytes = charge(size)
if length > ${maxPerUid} then
  drop_oldest(history, log)
end
redis.call('ZADD', queue, 'GT', now + ttl, uid)
-- Over the cap, the histories due to go first give way first.
local kept = true
while bytes > ${maxBytes} do
  local first = redis.call('ZRANGE', queue, 0, 0)[1]
  if not first then
    break
  end
  if not drop_oldest(history_prefix .. first, log_prefix .. first) then
    close(first)
  end
  if first == uid then
    local newest = redis.call('LINDEX', log, -1)
    kept = newest ~= false and header(newest) == position
  end
  bytes = tonumber(redis.call('GET', total) or '0')
end
return {receivers, fmt(position), (kept and not taken) and 1 or 0}`,
  };
}

export const HISTORY_SCRIPTS = {
  /**
   * A connection binds a uid: what it is owed (the pending pushes, which it takes, and with
   * `since`, every push after it when all are still kept). A recovering connection opens the
   * uid's history if there is none, and holds it open. Then publishes `marker` on `channel`:
   * when it reaches the binding node, so has every push published before.
   *
   * KEYS: queue, bytes. ARGV: history prefix, log prefix, uid, recover (1/0), since (or empty),
   * TTL ms, hold ms, channel, marker. Returns [last, recovered (1, 0, or -1 without since),
   * entries], or false when the uid has no history.
   */
  bindToUid: {
    numberOfKeys: 2,
    lua: `${PREFIXES}${COMMON}
local uid, recover, since = ARGV[3], ARGV[4] == '1', ARGV[5]
local ttl, hold = tonumber(ARGV[6]), tonumber(ARGV[7])
local history, log = history_prefix .. uid, log_prefix .. uid
local now, micros = clock()
redis.call('PUBLISH', ARGV[8], ARGV[9])
if redis.call('EXISTS', history) == 0 then
  if not recover or ttl <= 0 then
    return false
  end
  open(uid, now, micros, hold)
end
drop_expired(history, log, now)
if recover then
  redis.call('ZADD', queue, 'GT', now + hold, uid)
end
local state = redis.call('HMGET', history, 'last', 'floor')
local last, floor = tonumber(state[1]), tonumber(state[2])
local recovered = -1
if since ~= '' then
  since = tonumber(since)
  recovered = (since >= floor and since <= last) and 1 or 0
end
local owed = {}
for index, entry in ipairs(redis.call('LRANGE', log, 0, -1)) do
  local position, _, state = header(entry)
  if state == 'p' then
    redis.call('LSET', log, index - 1, (string.gsub(entry, ' p ', ' t ', 1)))
  end
  if state == 'p' or (recovered == 1 and position > since) then
    owed[#owed + 1] = entry
  end
end
return {state[1], recovered, owed}`,
  },
  /**
   * Makes pushes pending again: those a binding took for a connection that closed before it got
   * them. KEYS: queue, bytes. ARGV: history prefix, log prefix, uid, positions.
   */
  returnPending: {
    numberOfKeys: 2,
    lua: `${PREFIXES}${COMMON}
local log = log_prefix .. ARGV[3]
local given = {}
for i = 4, #ARGV do
  given[ARGV[i]] = true
end
for index, entry in ipairs(redis.call('LRANGE', log, 0, -1)) do
  local position, _, state = header(entry)
  if state == 't' and given[fmt(position)] then
    redis.call('LSET', log, index - 1, (string.gsub(entry, ' t ', ' p ', 1)))
  end
end
return 1`,
  },
  /**
   * Holds open the histories of the uids this node's recovering connections follow (reopening
   * one the byte cap closed). KEYS: queue, bytes. ARGV: history prefix, log prefix, hold ms, uids.
   */
  followUids: {
    numberOfKeys: 2,
    lua: `${PREFIXES}${COMMON}
local hold = tonumber(ARGV[3])
local now, micros = clock()
for i = 4, #ARGV do
  if redis.call('EXISTS', history_prefix .. ARGV[i]) == 1 then
    redis.call('ZADD', queue, 'GT', now + hold, ARGV[i])
  else
    open(ARGV[i], now, micros, hold)
  end
end
return #ARGV - 3`,
  },
  /**
   * Deletes up to `limit` histories whose time is up (their pushes have all expired, and nobody
   * follows them). KEYS: queue, bytes. ARGV: history prefix, log prefix, limit. Returns how many.
   */
  sweepHistories: {
    numberOfKeys: 2,
    lua: `${PREFIXES}${COMMON}
local now = clock()
local due = redis.call('ZRANGEBYSCORE', queue, '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, uid in ipairs(due) do
  close(uid)
end
return #due`,
  },
} as const;

type Key = string;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    pushToUid(
      ...args: [Key, string, string, number]
    ): Result<number | [number, string, 0 | 1], Context>;
    bindToUid(
      ...args: [
        Key,
        Key,
        string,
        string,
        string,
        0 | 1,
        string,
        number,
        number,
        string,
        string,
      ]
    ): Result<[string, 1 | 0 | -1, string[]] | null, Context>;
    returnPending(
      ...args: [Key, Key, string, string, string, ...string[]]
    ): Result<number, Context>;
    followUids(
      ...args: [Key, Key, string, string, number, ...string[]]
    ): Result<number, Context>;
    sweepHistories(
      ...args: [Key, Key, string, string, number]
    ): Result<number, Context>;
  }
}
