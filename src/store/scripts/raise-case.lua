-- @include lib/index-partner.lua
-- Raise once per mail case: the first message of a case writes its incident, atomically; a redelivered
-- message, or a second worker racing the first, finds the case's incidentId and gets it back.
-- KEYS: case hash (holds incidentId and the timeline's seen markers), incident hash, incidents index
-- ARGV: incident id, raised at (ISO), raised at (ms), retention (s), then field, value pairs of the incident
local existing = redis.call('HGET', KEYS[1], 'incidentId')
if existing then return {0, existing} end
redis.call('HSET', KEYS[1], 'incidentId', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'raisedAt', ARGV[2], 'channel', 'email')
for i = 5, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3] - ARGV[4] * 1000)
index_partner(KEYS[3], partner_name(redis.call('HGET', KEYS[2], 'partner'), false), ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
return {1, ARGV[1]}
