-- @include lib/index-partner.lua
-- The raise-once guard: a call's outcome, its incident and the timeline's "incident raised" entry in one
-- atomic step, by the first writer only. A replayed webhook, or a spool replayed after an outage, finds the
-- outcome set and stops. Needs append_once. Returns 1 when this raised the incident.
local function raise_once(call, timeline, incident, incidents, outcome, id, callSid, atIso, atMs, retention, raisedEntry)
  if redis.call('HSETNX', call, 'outcome', outcome) == 0 then return 0 end
  redis.call('HSET', call, 'incidentId', id)
  redis.call('HSET', incident, 'id', id, 'callSid', callSid, 'raisedAt', atIso, 'severity', 'SEV1', 'outcome', outcome)
  redis.call('EXPIRE', incident, retention)
  redis.call('ZADD', incidents, atMs, id)
  -- The index forgets incidents whose hashes have expired.
  redis.call('ZREMRANGEBYSCORE', incidents, '-inf', atMs - retention * 1000)
  append_once(call, timeline, 'incident', raisedEntry, retention)
  local meta = redis.call('HGET', call, 'meta') or redis.call('HGET', call, 'meta:reconstructed')
  index_partner(incidents, partner_name(meta, true), id, atMs, retention)
  return 1
end
