// asyncio/detail/redis/scripts.hpp - the queue's server-side code: one Redis 7 FUNCTION library
// (FUNCTION LOAD), so that every change of a queue's state is one atomic step on the server.
// Functions persist with the data set (RDB/AOF); a server that lost them (restarted without
// persistence, FUNCTION FLUSH) answers "Function not found" and the client loads them again.
//
// Keys of queue `name` (KEYS[1..7], one hash tag, so one Redis Cluster slot):
//   {name}:items   list    ids of the items waiting to be got, oldest first (RPUSH / LPOP)
//   {name}:data    hash    id -> payload, for the items waiting or leased
//   {name}:leases  zset    id -> lease deadline (ms, the server's TIME) of the items got and not
//                          acknowledged; an expired lease puts its item back at the head
//   {name}:meta    hash    maxsize, unfinished (put minus acknowledged), shutdown (1)
//   {name}:dead    list    payloads that failed to decode (the dead-letter list)
//   {name}:ids     zset    put id -> time (ms) of the puts of the last hour: a put retried after
//                          a lost connection is recognized and not put twice
//   {name}:events  stream  one entry per change (MAXLEN ~ 1000): waiters XREAD BLOCK from the
//                          last id a function returned, so no wake-up is lost
// An item's id is its put's id (unique: 128 random bits, hex).
#pragma once

#include <string_view>

namespace asyncio::detail::redis {

inline constexpr std::string_view library_name = "asyncio_queue_v1";

inline constexpr std::string_view library_code = R"LUA(#!lua name=asyncio_queue_v1
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function notify(k)
  return redis.call('XADD', k[7], 'MAXLEN', '~', '1000', '*', 'e', '1')
end
local function last_event(k)
  local r = redis.call('XREVRANGE', k[7], '+', '-', 'COUNT', 1)
  if #r == 0 then return '0-0' end
  return r[1][1]
end
-- expired leases: their items go back to the head of the queue, oldest first
local function reclaim(k, now)
  local expired = redis.call('ZRANGEBYSCORE', k[3], '-inf', now)
  if #expired == 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', k[3], '-inf', now)
  for i = #expired, 1, -1 do redis.call('LPUSH', k[1], expired[i]) end
  notify(k)
  return #expired
end
-- ms until the nearest lease deadline, or -1 when no item is leased
local function next_deadline(k, now)
  local r = redis.call('ZRANGE', k[3], 0, 0, 'WITHSCORES')
  if #r == 0 then return -1 end
  return math.max(1, tonumber(r[2]) - now)
end
local function meta_int(k, field)
  return tonumber(redis.call('HGET', k[4], field) or '0')
end
local function finish(k, n)
  local u = meta_int(k, 'unfinished') - n
  if u < 0 then u = 0 end
  redis.call('HSET', k[4], 'unfinished', u)
end

local expected = {'list', 'hash', 'zset', 'hash', 'list', 'zset', 'stream'}
-- ARGV: maxsize. Checks the types of the keys, records maxsize (error on a mismatch).
local function init(k, a)
  for i = 1, 7 do
    local t = redis.call('TYPE', k[i])['ok']
    if t ~= 'none' and t ~= expected[i] then
      return redis.error_reply('WRONGTYPE key ' .. k[i] .. ' holds a ' .. t .. ', not a ' .. expected[i] ..
                               ': the name is used by something else')
    end
  end
  local m = redis.call('HGET', k[4], 'maxsize')
  if m and m ~= a[1] then
    return redis.error_reply('ASYNCIO_MAXSIZE the queue has maxsize ' .. m .. ', this handle asked for ' .. a[1])
  end
  redis.call('HSETNX', k[4], 'maxsize', a[1])
  redis.call('HSETNX', k[4], 'unfinished', 0)
  return {meta_int(k, 'shutdown'), last_event(k)}
end
-- ARGV: maxsize, id1, payload1, id2, payload2, ...  Puts in order while there is room.
-- Returns {status, number put, last event id, ms to next deadline}; status ok | full | shutdown.
local function put(k, a)
  local now = now_ms()
  local maxsize = tonumber(a[1])
  redis.call('HSETNX', k[4], 'maxsize', a[1])
  local stored = meta_int(k, 'maxsize')
  if stored > 0 then maxsize = stored end
  local n = 0
  local status = 'ok'
  reclaim(k, now)
  local len = redis.call('LLEN', k[1])
  for i = 2, #a, 2 do
    local id = a[i]
    if not redis.call('ZSCORE', k[6], id) then
      if meta_int(k, 'shutdown') == 1 then status = 'shutdown' break end
      if maxsize > 0 and len >= maxsize then status = 'full' break end
      redis.call('HSET', k[2], id, a[i + 1])
      redis.call('RPUSH', k[1], id)
      redis.call('ZADD', k[6], now, id)
      len = len + 1
      redis.call('HINCRBY', k[4], 'unfinished', 1)
    end
    n = n + 1
  end
  if n > 0 then
    redis.call('ZREMRANGEBYSCORE', k[6], '-inf', now - 3600000)
    notify(k)
  end
  return {status, n, last_event(k), next_deadline(k, now)}
end
-- ARGV: count, lease ms. Returns {'ok', {id, payload, ...}} | {'shutdown'} |
-- {'empty', last event id, ms to next deadline}.
local function get(k, a)
  local now = now_ms()
  reclaim(k, now)
  local count = tonumber(a[1])
  local deadline = now + tonumber(a[2])
  local out = {}
  while #out < 2 * count do
    local id = redis.call('LPOP', k[1])
    if not id then break end
    local payload = redis.call('HGET', k[2], id)
    if payload then
      redis.call('ZADD', k[3], deadline, id)
      out[#out + 1] = id
      out[#out + 1] = payload
    end
  end
  if #out > 0 then
    notify(k)
    return {'ok', out}
  end
  if meta_int(k, 'shutdown') == 1 then return {'shutdown'} end
  return {'empty', last_event(k), next_deadline(k, now)}
end
-- ARGV: ids (oldest first). Items a cancelled get() leased: back to the head at once.
local function release(k, a)
  local n = 0
  for i = #a, 1, -1 do
    if redis.call('ZREM', k[3], a[i]) == 1 then
      redis.call('LPUSH', k[1], a[i])
      n = n + 1
    end
  end
  if n > 0 then notify(k) end
  return n
end
-- removes an item got (leased, or back in the queue after its lease expired); 1 if it was there
local function take(k, id)
  if redis.call('ZREM', k[3], id) == 1 or redis.call('LREM', k[1], 1, id) == 1 then
    redis.call('HDEL', k[2], id)
    finish(k, 1)
    return 1
  end
  return 0
end
-- ARGV: id. task_done(): 1 if acknowledged now, 0 if it already was (by another consumer).
local function ack(k, a)
  local n = take(k, a[1])
  if n == 1 then notify(k) end
  return n
end
-- ARGV: id, payload. An item that failed to decode: to the dead-letter list, counted as done.
local function dead(k, a)
  local n = take(k, a[1])
  if n == 1 then
    redis.call('RPUSH', k[5], a[2])
    notify(k)
  end
  return n
end
-- Returns {waiting, unfinished, shutdown, maxsize, last event id, ms to next deadline}.
local function state(k, a)
  local now = now_ms()
  reclaim(k, now)
  return {redis.call('LLEN', k[1]), meta_int(k, 'unfinished'), meta_int(k, 'shutdown'),
          meta_int(k, 'maxsize'), last_event(k), next_deadline(k, now)}
end
-- ARGV: immediate (0|1). Python 3.13's shutdown(): immediate drops the waiting items (done).
local function shutdown(k, a)
  redis.call('HSET', k[4], 'shutdown', 1)
  if a[1] == '1' then
    local ids = redis.call('LRANGE', k[1], 0, -1)
    for i = 1, #ids do redis.call('HDEL', k[2], ids[i]) end
    redis.call('DEL', k[1])
    finish(k, #ids)
  end
  notify(k)
  return 1
end
redis.register_function('aq1_init', init)
redis.register_function('aq1_put', put)
redis.register_function('aq1_get', get)
redis.register_function('aq1_release', release)
redis.register_function('aq1_ack', ack)
redis.register_function('aq1_dead', dead)
redis.register_function('aq1_state', state)
redis.register_function('aq1_shutdown', shutdown)
)LUA";

}  // namespace asyncio::detail::redis
