-- The first-wins fields of a flat field/value list, as the hash now holds them.
local function first_wins_now(call, first)
  if #first == 0 then return {} end
  local fields = {}
  for i = 1, #first, 2 do fields[#fields + 1] = first[i] end
  return redis.call('HMGET', call, unpack(fields))
end

-- A call session's fields in one step: first-wins fields with HSETNX, the rest with HSET, the retention,
-- the calls index entry when asked, the live-calls index, and the first-wins fields as they now stand.
-- call, calls, live: the call hash, the calls index, the live calls index (started at, for calls not yet
-- ended). first, rest: flat field/value lists. indexAt: index score (ms), or '' for none.
local function apply_hash(call, calls, live, retention, indexAt, callSid, first, rest)
  for i = 1, #first, 2 do redis.call('HSETNX', call, first[i], first[i + 1]) end
  if #rest > 0 then redis.call('HSET', call, unpack(rest)) end
  redis.call('EXPIRE', call, retention)
  local ended = redis.call('HGET', call, 'stage') == 'ended'
  if indexAt ~= '' then
    local score = tonumber(indexAt)
    redis.call('ZADD', calls, 'NX', score, callSid)
    -- The index forgets calls whose sessions have expired.
    redis.call('ZREMRANGEBYSCORE', calls, '-inf', score - tonumber(retention) * 1000)
    -- Live until it ends; a call whose end never came is dropped after a day (the console shows 4 h at most).
    if not ended then redis.call('ZADD', live, 'NX', score, callSid) end
    redis.call('ZREMRANGEBYSCORE', live, '-inf', score - 86400000)
  end
  if ended then redis.call('ZREM', live, callSid) end
  return first_wins_now(call, first)
end
