-- forward.lua: keep a provider status only if it moves forward (callbacks repeat and arrive
-- out of order).
-- KEYS[1]  the status key of one message or call (keys.provider_status)
-- ARGV[1]  the rank of the status just reported (higher = further along)
-- ARGV[2]  how long to remember it, in seconds
-- Returns 1 when the rank moved forward and was kept, 0 when it was seen already or is behind.
local seen = redis.call('GET', KEYS[1])
if seen and tonumber(seen) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
