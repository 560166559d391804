-- The raise-once guard: a call's outcome and its incident are written in one atomic step, by the first
-- writer only. A replayed webhook, or a spool replayed after an outage, finds the outcome set and stops.
-- KEYS: call hash, incident hash, incidents index
-- ARGV: outcome, incident id, call sid, raised at (ISO), raised at (ms), retention (s)
if redis.call('HSETNX', KEYS[1], 'outcome', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'incidentId', ARGV[2])
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'callSid', ARGV[3], 'raisedAt', ARGV[4], 'severity', 'SEV1', 'outcome', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
-- The index forgets incidents whose hashes have expired.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[5] - ARGV[6] * 1000)
return 1
