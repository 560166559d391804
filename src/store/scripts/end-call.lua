-- @include lib/apply-hash.lua
-- @include lib/append-once.lua
-- @include lib/raise-once.lua
-- The caller's call is over, in one step: the stage it ended in is read, the session's end and its timeline
-- entry written, and, if no outcome was recorded, the incident raised with the outcome the call's flow gives
-- that stage (passed in as a table: the store decides nothing). A call this line never saw changes nothing.
-- KEYS: call hash, timeline, incident hash, incidents index, calls index, live calls index
-- ARGV: retention (s), call sid, n ended pairs, the ended field/value pairs, ended entry (JSON), incident id,
--       raised at (ISO), raised at (ms), then per stage: stage, outcome, raised entry (JSON)
-- Returns {stage ended in, 1 if raised here else 0}; {} for a call this line never saw.
local retention, callSid, nEnded = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local stage = redis.call('HGET', KEYS[1], 'stage')
if not stage then return {} end
local outcome = redis.call('HGET', KEYS[1], 'outcome')
local ended = {}
for k = 4, 3 + nEnded * 2 do ended[#ended + 1] = ARGV[k] end
local i = 4 + nEnded * 2
apply_hash(KEYS[1], KEYS[5], KEYS[6], retention, '', callSid, {}, ended)
append_once(KEYS[1], KEYS[2], 'ended', ARGV[i], retention)
if outcome then return {stage, 0} end
local id, atIso, atMs = ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
for k = i + 4, #ARGV, 3 do
  if ARGV[k] == stage then
    return {stage, raise_once(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[k + 1], id, callSid, atIso, atMs, retention, ARGV[k + 2])}
  end
end
return {stage, 0}
