-- Claim a dispatch once and reserve its place under every cap, atomically.
-- KEYS[1]       idempotency key of the dispatch (string)
-- KEYS[2..n+1]  one sorted set per cap: members = dispatch ids, scores = send instants
-- ARGV[1]       now (epoch seconds, from the caller's clock)
-- ARGV[2]       dispatch id (the member written to each cap set)
-- ARGV[3]       idempotency TTL (seconds)
-- ARGV[4..]     per cap, in KEYS order: window seconds, limit
-- A send at instant s counts while now - window < s <= now: at exactly s + window it has left.
-- Returns  {'ok'}                       claimed and reserved
--          {'dup', value}               already claimed; value is what the claimer stored
--          {'cap', i, retry_at}         cap i (1-based) is full; retry_at is the instant the
--                                       oldest counted send leaves that window (as a string)
local now = tonumber(ARGV[1])
local existing = redis.call('GET', KEYS[1])
if existing then
  return {'dup', existing}
end
local ncaps = #KEYS - 1
for i = 1, ncaps do
  local key = KEYS[i + 1]
  local window = tonumber(ARGV[2 + 2 * i])
  local limit = tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCOUNT', key, '-inf', '+inf')
  if count >= limit then
    -- the (count - limit + 1)-th oldest send must leave before one more fits
    local entry = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    -- %.17g, not tostring (%.14g): that rounds epoch seconds to 0.1 ms, sometimes to before
    -- the slot opens, and a retry at that instant is refused again
    return {'cap', i, string.format('%.17g', tonumber(entry[2]) + window)}
  end
end
for i = 1, ncaps do
  local key = KEYS[i + 1]
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('EXPIRE', key, math.ceil(window) + 1)
end
redis.call('SET', KEYS[1], 'claimed:' .. ARGV[1], 'EX', tonumber(ARGV[3]))
return {'ok'}
