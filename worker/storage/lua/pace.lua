-- Take one provider request slot: at most ARGV[3] requests from one sender in any window of
-- ARGV[4] seconds, and at most ARGV[5] requests of the provider in flight at once.
-- KEYS[1]  sorted set of the sender's recent requests: members = request ids, scores = instants
-- KEYS[2]  sorted set of the provider's requests in flight: members = request ids, scores = the
--          instant each slot is given back at the latest (a worker that died frees it then)
-- ARGV[1]  now (epoch seconds, from the caller's clock; never Redis TIME)
-- ARGV[2]  request id
-- ARGV[3]  requests allowed from the sender per window
-- ARGV[4]  window, seconds
-- ARGV[5]  requests allowed in flight at once
-- ARGV[6]  seconds a slot in flight is held at most
-- ARGV[7]  seconds to wait when every slot in flight is taken (slots are usually given back
--          well before their latest instant, so the caller asks again soon)
-- A request at instant s counts for its sender while now - window < s <= now.
-- Returns  '0' when the slot is taken (the request is written into both sets), else the
--          seconds to wait before asking again, as a string (a Lua number would be truncated)
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local inflight = tonumber(ARGV[5])
local hold = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.17g', now - window))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.17g', now))
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return string.format('%.17g', tonumber(oldest[2]) + window - now)
end
if redis.call('ZCARD', KEYS[2]) >= inflight then
  return ARGV[7]
end
redis.call('ZADD', KEYS[1], string.format('%.17g', now), ARGV[2])
redis.call('ZADD', KEYS[2], string.format('%.17g', now + hold), ARGV[2])
-- garbage collection only (Redis time): the scores above are what the limits read
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 60)
redis.call('EXPIRE', KEYS[2], math.ceil(hold) + 60)
return '0'
