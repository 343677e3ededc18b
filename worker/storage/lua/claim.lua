-- Claim due timeline entries with a lease.
-- KEYS[1]  timeline sorted set (member = account id, score = due instant, epoch seconds)
-- ARGV[1]  now (epoch seconds; the caller's clock, never Redis TIME)
-- ARGV[2]  lease (seconds): a claimed entry is re-scored to now + lease, so no other claimer
--          sees it, and it comes back by itself if the claimer dies before re-placing it
-- ARGV[3]  the most entries to claim
-- Returns  a flat array {member1, due1, member2, due2, ...} of the claimed entries and the due
--          score each had when claimed.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
if #due == 0 then
  return due
end
-- one ZADD for the whole batch: a call per entry costs a third of the throughput
local until_ = tonumber(ARGV[1]) + tonumber(ARGV[2])
local args = {'XX'}
for i = 1, #due, 2 do
  args[#args + 1] = until_
  args[#args + 1] = due[i]
end
redis.call('ZADD', KEYS[1], unpack(args))
return due
