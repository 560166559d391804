-- @include lib/append-once.lua
-- KEYS: the hash holding the markers, the list. ARGV: key, entry, retention (s).
return append_once(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
