-- Give back a reservation whose send was never attempted (the provider refused before sending).
-- KEYS[1]       idempotency key of the dispatch
-- KEYS[2..n+1]  the cap sorted sets the reservation wrote to
-- ARGV[1]       dispatch id
-- Returns  the number of cap entries removed
redis.call('DEL', KEYS[1])
local removed = 0
for i = 2, #KEYS do
  removed = removed + redis.call('ZREM', KEYS[i], ARGV[1])
end
return removed
