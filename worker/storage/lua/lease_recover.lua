-- Recover the leases of dead workers on one timeline shard: their entries become due again.
-- KEYS[1]  the shard's leases hash (account id -> JSON {holder, due, hidden, since, lock, token})
-- KEYS[2]  the timeline shard (same hash tag: one slot)
-- ARGV[1]  now (epoch seconds; the caller's clock, never Redis TIME)
-- ARGV[2]  heartbeat timeout (seconds): a holder whose last beat is older is dead
-- ARGV[3..] pairs of worker id, last heartbeat: the workers sorted set as the caller read it
--          just before (it lives on another slot, so the script cannot read it itself)
-- A holder missing from the pairs is dead only once its lease is older than the timeout too: it
-- may have beaten for the first time, and taken this lease, after the caller read the beats.
-- A dead holder's entry goes back to its due score only if it still has the score it had when
-- the lease was taken (still hidden by the scheduler's lease); one re-scored since (the worker
-- got as far as placing the next step, or an event moved it) is left alone. The claim on the
-- dispatch id is not touched: the next dispatch finds it and records "unknown", never resends.
-- The account locks the dead held are not touched here (they live on other slots): the caller
-- breaks each one whose token is still the dead holder's.
-- Returns  four values per dead lease: account id, 1 if put back (else 0), lock key, token
local now = tonumber(ARGV[1])
local dead_before = now - tonumber(ARGV[2])
local beats = {}
for i = 3, #ARGV, 2 do
  beats[ARGV[i]] = tonumber(ARGV[i + 1])
end
local leases = redis.call('HGETALL', KEYS[1])
local dead = {}
for i = 1, #leases, 2 do
  local account, lease = leases[i], cjson.decode(leases[i + 1])
  local beat = beats[lease.holder]
  local gone
  if beat then
    gone = beat < dead_before
  else
    gone = tonumber(lease.since) < dead_before
  end
  if gone then
    local score = redis.call('ZSCORE', KEYS[2], account)
    local back = 0
    if score and lease.hidden and tonumber(score) == tonumber(lease.hidden) then
      redis.call('ZADD', KEYS[2], 'XX', lease.due, account)
      back = 1
    end
    redis.call('HDEL', KEYS[1], account)
    dead[#dead + 1] = account
    dead[#dead + 1] = back
    dead[#dead + 1] = lease.lock or ''
    dead[#dead + 1] = lease.token or ''
  end
end
return dead
