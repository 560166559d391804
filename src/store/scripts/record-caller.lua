-- One call from a number: counted in the number's 24-hour window, and placed in its group. A group starts
-- with a call and takes the number's further calls for the group window after it; the next call after that
-- starts a new group, so repeated calls never silence paging for longer than one window.
-- KEYS: the number's calls (sorted set), the number's current group (hash: first, at)
-- ARGV: call sid, now (ms), day (ms), group window (ms; 0: no groups)
local now, day, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], 'NX', now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - day)
redis.call('PEXPIRE', KEYS[1], day)
local count = redis.call('ZCARD', KEYS[1])
if window <= 0 then return {count, ARGV[1]} end
local first, at = unpack(redis.call('HMGET', KEYS[2], 'first', 'at'))
-- The same call recorded again (a replayed webhook) keeps the group it had.
if first and (first == ARGV[1] or tonumber(at) > now - window) then return {count, first} end
redis.call('HSET', KEYS[2], 'first', ARGV[1], 'at', now)
redis.call('PEXPIRE', KEYS[2], day)
return {count, ARGV[1]}
