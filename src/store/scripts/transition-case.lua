-- Moves a case to a new state only from one of the states given, atomically: a partner's reply and the
-- hold's close job can race, and exactly one of them may win.
-- KEYS: incident hash
-- ARGV: new state, then the states it may move from
local s = redis.call('HGET', KEYS[1], 'case:state') or 'open'
for i = 2, #ARGV do
  if ARGV[i] == s then
    redis.call('HSET', KEYS[1], 'case:state', ARGV[1])
    return 1
  end
end
return 0
