-- @include lib/apply-hash.lua
-- @include lib/append-once.lua
-- A batch of a call's (or several calls') session and timeline writes, in order, in one step: what the
-- journal's writes of one turn of the event loop add up to (docs/architecture.md, "One round trip").
-- A write may carry a guard (a field and the value it must hold): it is skipped unless the session holds
-- it, so writes that only make sense for the session this webhook started, or for the decision an
-- engineer's key made, can go with the write that makes it (write-ops.ts, WriteGuard).
-- KEYS: calls index, live calls index, then the keys the writes name (by position)
-- ARGV: retention (s), number of writes, then each write:
--   'h', call key #, call sid, index score or '', guard field or '', guard value, n first-wins pairs,
--        n overwritten pairs, the first-wins pairs, the overwritten pairs
--   't', call key #, timeline key #, guard field or '', guard value, step key, entry JSON
-- Returns per write: the first-wins fields as they now stand ('h'), 1 if appended else 0 ('t').
local retention = tonumber(ARGV[1])
local results = {}
local i = 3
local function guarded(call, field, value)
  return field ~= '' and redis.call('HGET', call, field) ~= value
end
for n = 1, tonumber(ARGV[2]) do
  if ARGV[i] == 'h' then
    local call, callSid, indexAt, field, value = KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
    local nFirst, nRest = tonumber(ARGV[i + 6]), tonumber(ARGV[i + 7])
    local first, rest = {}, {}
    local at = i + 8
    for k = at, at + nFirst * 2 - 1 do first[#first + 1] = ARGV[k] end
    for k = at + nFirst * 2, at + (nFirst + nRest) * 2 - 1 do rest[#rest + 1] = ARGV[k] end
    i = at + (nFirst + nRest) * 2
    if guarded(call, field, value) then
      results[n] = first_wins_now(call, first)
    else
      results[n] = apply_hash(call, KEYS[1], KEYS[2], retention, indexAt, callSid, first, rest)
    end
  else
    local call, timeline, field, value = KEYS[tonumber(ARGV[i + 1])], KEYS[tonumber(ARGV[i + 2])], ARGV[i + 3], ARGV[i + 4]
    local key, entry = ARGV[i + 5], ARGV[i + 6]
    i = i + 7
    results[n] = guarded(call, field, value) and 0 or append_once(call, timeline, key, entry, retention)
  end
end
return results
