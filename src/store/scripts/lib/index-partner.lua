-- A partner's own incidents index beside everyone's (`<incidents>:partner:<name, ASCII letters lowered>`),
-- so a partner's incidents are found without walking every incident (incident-search.ts). Trimmed and
-- expiring as the main index is.
local function index_partner(incidents, name, id, atMs, retention)
  if type(name) ~= 'string' or name == '' then return end
  local key = incidents .. ':partner:' .. string.lower(name)
  redis.call('ZADD', key, atMs, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', atMs - retention * 1000)
  redis.call('EXPIRE', key, retention)
end

-- The name in a JSON value that is a partner ({"name": …}) or holds one ({"partner": {"name": …}}); nil if none.
local function partner_name(json, nested)
  if type(json) ~= 'string' or json == '' then return nil end
  local ok, value = pcall(cjson.decode, json)
  if not ok or type(value) ~= 'table' then return nil end
  if nested then value = value.partner end
  if type(value) ~= 'table' then return nil end
  return value.name
end
