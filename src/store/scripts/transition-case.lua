-- Moves a case to a new state only from one of the states given, atomically, with the fields that go with
-- the move (closedAt, closesAt...): a partner's reply and the hold's close job can race, exactly one of them
-- wins, and no reader ever sees the new state without its fields.
-- KEYS: incident hash
-- ARGV: new state, n, then n states it may move from, then field/value pairs to set with the move; an empty
-- value removes the field (a reopened case sheds closedAt/closedBy in the same step that reopens it)
local s = redis.call('HGET', KEYS[1], 'case:state') or 'open'
local n = tonumber(ARGV[2])
for i = 3, 2 + n do
  if ARGV[i] == s then
    redis.call('HSET', KEYS[1], 'case:state', ARGV[1])
    for j = 3 + n, #ARGV, 2 do
      if ARGV[j + 1] == '' then
        redis.call('HDEL', KEYS[1], ARGV[j])
      else
        redis.call('HSET', KEYS[1], ARGV[j], ARGV[j + 1])
      end
    end
    return 1
  end
end
return 0
