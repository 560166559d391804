-- Fields written together with a first-wins marker, in one step: only the writer that sets the marker
-- writes the rest, and no reader sees the marker without them (a send recorded as sent, with its recipient).
-- KEYS: the hash
-- ARGV: marker field, marker value, then field/value pairs
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
return 1
