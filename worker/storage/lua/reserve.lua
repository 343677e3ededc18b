-- Claim a dispatch once and reserve its place under every cap, atomically.
-- KEYS[1]       idempotency key of the dispatch (string)
-- KEYS[2..n+1]  one sorted set per cap: members = dispatch ids, scores = send instants
-- ARGV[1]       now (epoch seconds, from the caller's clock)
-- ARGV[2]       dispatch id (the member written to each cap set)
-- ARGV[3]       idempotency TTL (seconds)
-- ARGV[4]       the claiming worker's id, or '' (kept in the claim so a dead claimer is known)
-- ARGV[5..]     five values per cap, in KEYS order:
--                 since   sends with a score > since are counted (rolling: now - window;
--                         calendar days: the local day's start, minus a microsecond)
--                 limit   the most sends counted at once
--                 window  rolling window in seconds, or 0 for calendar days
--                 retry   for calendar days: the instant the counted days end (else ignored)
--                 keep    seconds a send is kept in the set (older entries are trimmed)
-- A rolling send at instant s counts while now - window < s <= now: at exactly s + window it
-- has left.
-- Returns  {'ok'}                       claimed and reserved
--          {'dup', value}               already claimed; value is what the claimer stored
--          {'cap', i, retry_at}         cap i (1-based) is full; retry_at (a string) is the
--                                       instant one more send fits
local now = tonumber(ARGV[1])
local existing = redis.call('GET', KEYS[1])
if existing then
  return {'dup', existing}
end
local ncaps = #KEYS - 1
for i = 1, ncaps do
  local key = KEYS[i + 1]
  local base = 4 + 5 * (i - 1)
  local since = tonumber(ARGV[base + 1])
  local limit = tonumber(ARGV[base + 2])
  local window = tonumber(ARGV[base + 3])
  local keep = tonumber(ARGV[base + 5])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - keep)
  local counted = redis.call('ZRANGEBYSCORE', key, '(' .. string.format('%.17g', since), '+inf', 'WITHSCORES')
  local count = #counted / 2
  if count >= limit then
    local retry
    if window > 0 then
      -- the (count - limit + 1)-th oldest counted send must leave before one more fits
      retry = tonumber(counted[2 * (count - limit) + 2]) + window
    else
      retry = tonumber(ARGV[base + 4])
    end
    -- %.17g, not tostring (%.14g): that rounds epoch seconds to 0.1 ms, sometimes to before
    -- the slot opens, and a retry at that instant is refused again
    return {'cap', i, string.format('%.17g', retry)}
  end
end
for i = 1, ncaps do
  local key = KEYS[i + 1]
  local keep = tonumber(ARGV[4 + 5 * (i - 1) + 5])
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('EXPIRE', key, math.ceil(keep) + 1)
end
local claim = 'claimed:' .. ARGV[1]
if ARGV[4] ~= '' then
  claim = claim .. ':' .. ARGV[4]
end
redis.call('SET', KEYS[1], claim, 'EX', tonumber(ARGV[3]))
return {'ok'}
