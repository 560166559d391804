-- A call session's fields in one step (what a MULTI did, as one EVALSHA, which auto-pipelines with the
-- webhook's other commands): first-wins fields with HSETNX, the rest with HSET, the retention, the index
-- entry when asked, the live-calls index, and the first-wins fields as they now stand.
-- KEYS: call hash, calls index, live calls index (started at, for calls not yet ended)
-- ARGV: retention (s), index score (ms, or "" for none), call sid, number of first-wins fields, then the
--       first-wins field/value pairs, then the overwritten field/value pairs
local retention, indexAt, callSid, firstWins = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local lastFirst = 4 + firstWins * 2
local fields = {}
for i = 5, lastFirst, 2 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  fields[#fields + 1] = ARGV[i]
end
if #ARGV > lastFirst then
  redis.call('HSET', KEYS[1], unpack(ARGV, lastFirst + 1))
end
redis.call('EXPIRE', KEYS[1], retention)
local ended = redis.call('HGET', KEYS[1], 'stage') == 'ended'
if indexAt ~= '' then
  local score = tonumber(indexAt)
  redis.call('ZADD', KEYS[2], 'NX', score, callSid)
  -- The index forgets calls whose sessions have expired.
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', score - tonumber(retention) * 1000)
  -- Live until it ends; a call whose end never came is dropped after a day (the console shows 4 h at most).
  if not ended then redis.call('ZADD', KEYS[3], 'NX', score, callSid) end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', score - 86400000)
end
if ended then redis.call('ZREM', KEYS[3], callSid) end
if #fields == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(fields))
