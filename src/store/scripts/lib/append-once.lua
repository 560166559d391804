-- Appends an entry to a list once per key: Twilio replays webhooks, and a timeline (or a mail thread) must
-- read like what happened, once. seen: the hash holding the seen:<key> markers. Returns 1 when appended.
local function append_once(seen, list, key, entry, retention)
  if redis.call('HSETNX', seen, 'seen:' .. key, 1) == 1 then
    redis.call('RPUSH', list, entry)
    redis.call('EXPIRE', list, retention)
    return 1
  end
  return 0
end
