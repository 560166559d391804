-- @include lib/append-once.lua
-- @include lib/raise-once.lua
-- KEYS: call hash, timeline, incident hash, incidents index
-- ARGV: outcome, incident id, call sid, raised at (ISO), raised at (ms), retention (s), raised entry (JSON)
return raise_once(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7])
