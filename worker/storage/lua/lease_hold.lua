-- A worker takes the lease on a claimed timeline entry, under the account's lock, before it
-- works the entry's message.
-- KEYS[1]  leases hash (field = account id, value = JSON lease)
-- KEYS[2]  timeline sorted set
-- KEYS[3]  the account's lock (string: the holder's token), just taken by this worker
-- ARGV[1]  account id
-- ARGV[2]  holder: the worker id (its heartbeat is in the workers sorted set)
-- ARGV[3]  due: the score the entry had when the scheduler claimed it (epoch seconds)
-- ARGV[4]  now (epoch seconds; the caller's clock)
-- The entry's current score is kept as "hidden" (the instant the scheduler's lease ends): a
-- recovery puts the entry back only if nobody has re-scored it since. The lock's key and token
-- are kept so a recovery can break the lock of a dead holder, and only that lock.
-- Returns  the JSON lease written
local lease = cjson.encode({
  holder = ARGV[2],
  due = tonumber(ARGV[3]),
  hidden = redis.call('ZSCORE', KEYS[2], ARGV[1]) or false,
  since = tonumber(ARGV[4]),
  lock = KEYS[3],
  token = redis.call('GET', KEYS[3]) or false,
})
redis.call('HSET', KEYS[1], ARGV[1], lease)
return lease
