-- A worker takes the lease on a claimed timeline entry before it works the entry's message.
-- KEYS[1]  leases hash (field = account id, value = JSON lease)
-- KEYS[2]  timeline sorted set
-- ARGV[1]  account id
-- ARGV[2]  holder: the worker id (its heartbeat is in the workers sorted set)
-- ARGV[3]  due: the score the entry had when the scheduler claimed it (epoch seconds)
-- ARGV[4]  now (epoch seconds; the caller's clock)
-- The entry's current score is kept as "hidden" (the instant the scheduler's lease ends): a
-- recovery puts the entry back only if nobody has re-scored it since.
-- Returns  the JSON lease written
local lease = cjson.encode({
  holder = ARGV[2],
  due = tonumber(ARGV[3]),
  hidden = redis.call('ZSCORE', KEYS[2], ARGV[1]) or false,
  since = tonumber(ARGV[4]),
})
redis.call('HSET', KEYS[1], ARGV[1], lease)
return lease
