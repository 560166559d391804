-- A partner's own incidents index beside everyone's (`<incidents>:partner:<name, ASCII letters lowered>`),
-- so a partner's incidents are found without walking every incident (incident-search.ts). Trimmed as the
-- main index is, and gone a retention after the partner's last incident. The last step of a raise, and with
-- pcall: an index that cannot be written (a key of another type, Redis out of memory) never undoes a raise;
-- the next start-up's indexing (IncidentSearch.indexPartners) writes what is missing of the last hour.
local function index_partner(incidents, name, id, atMs, retention)
  if type(name) ~= 'string' or name == '' then return end
  local key = incidents .. ':partner:' .. string.lower(name)
  redis.pcall('ZADD', key, atMs, id)
  redis.pcall('ZREMRANGEBYSCORE', key, '-inf', atMs - retention * 1000)
  redis.pcall('EXPIRE', key, retention)
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
