-- Appends a timeline event once per step: Twilio replays webhooks, and the timeline must read like the call.
-- KEYS: call hash (holds the seen:<step> markers), timeline list
-- ARGV: step key, event JSON, retention (s)
if redis.call('HSETNX', KEYS[1], 'seen:' .. ARGV[1], 1) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0
