-- A worker takes the lease on a claimed timeline entry, under the account's lock, before it
-- works the entry's message.
-- KEYS[1]  the leases hash of the entry's timeline shard (field = account id, value = JSON)
-- KEYS[2]  that timeline shard (sorted set; same hash tag, so one slot)
-- ARGV[1]  account id
-- ARGV[2]  holder: the worker id (its heartbeat is in the workers sorted set)
-- ARGV[3]  due: the score the entry had when the scheduler claimed it (epoch seconds)
-- ARGV[4]  now (epoch seconds; the caller's clock)
-- ARGV[5]  the account's lock key, just taken by this worker
-- ARGV[6]  the lock's token ('' if none): the lock lives on the person's slot, so the caller
--          reads it and passes it here (a script may touch one slot only)
-- The entry's current score is kept as "hidden" (the instant the scheduler's lease ends): a
-- recovery puts the entry back only if nobody has re-scored it since. The lock's key and token
-- are kept so a recovery can break the lock of a dead holder, and only that lock.
-- Returns  the JSON lease written
local lease = cjson.encode({
  holder = ARGV[2],
  due = tonumber(ARGV[3]),
  hidden = redis.call('ZSCORE', KEYS[2], ARGV[1]) or false,
  since = tonumber(ARGV[4]),
  lock = ARGV[5],
  token = ARGV[6] ~= '' and ARGV[6] or false,
})
redis.call('HSET', KEYS[1], ARGV[1], lease)
return lease
