-- Take an account's lock and read, under it, all a dispatch decides on: one round trip.
-- KEYS[1]  the account's lock (string; it holds the holder's token)
-- KEYS[2]  the account's state (string, opaque here)
-- KEYS[3]  the person's stops and holds of debts (hash)
-- KEYS[4]  the person's opt-outs (set)
-- KEYS[5]  the person's opt-ins (set)
--          (all five carry the person's hash tag: one slot)
-- ARGV[1]  the lock's token (a fresh random value of the caller's)
-- ARGV[2]  milliseconds the lock lives at most (a crashed holder frees it by expiry)
-- Returns  {0} if another holder has the lock (nothing read), else
--          {1, state or nil, stops as a flat field/value array, opt-outs, opt-ins}
-- The lock already holding ARGV[1] is ours: the same call sent again after its reply was lost
-- with the connection (the client retries it) reads again instead of finding the lock busy.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return {0}
  end
end
return {
  1,
  redis.call('GET', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
  redis.call('SMEMBERS', KEYS[4]),
  redis.call('SMEMBERS', KEYS[5]),
}
