-- A worker gives its lease back once the message is worked (or failed in Python).
-- KEYS[1]  the leases hash of the entry's timeline shard
-- ARGV[1]  account id
-- ARGV[2]  holder: only a lease this worker holds is dropped (another may have taken it since)
-- Returns  1 if dropped, 0 if the lease was not this holder's
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw and cjson.decode(raw).holder == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
