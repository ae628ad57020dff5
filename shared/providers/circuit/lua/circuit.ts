/**
 * The circuit breaker's two scripts (circuit-breaker.ts). One hash per provider and model,
 * `<prefix>:circuit:<provider>:<model>`, fields:
 * - `state`    `open`, or absent/`closed`;
 * - `failures` breaker failures counted since `since` (closed state);
 * - `since`    ms since epoch of the first failure of the current window;
 * - `opened`   ms since epoch the circuit last opened;
 * - `until`    ms since epoch the cool-down ends (then one probe may go);
 * - `probe`    ms since epoch the probe lease ends (0 or absent: no probe in flight).
 * The key expires ARGV ttlMs after its last write (a forgotten circuit closes).
 */

/**
 * circuit_check: may a call go to this provider and model?
 *
 * KEYS[1] the circuit's hash
 * ARGV[1] nowMs
 * ARGV[2] probeLeaseMs  how long the one half-open probe holds its lease
 *
 * Returns {verdict, failures, untilMs}: `closed` (failures counted so far, untilMs 0); `open` (untilMs: end of the
 * cool-down); `probing` (cool-down over, another caller's probe in flight; untilMs: end of its lease); `probe` (cool-down
 * over and this caller took the lease: it is the one call that goes through; untilMs: end of the lease).
 */
export const CIRCUIT_CHECK_LUA = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'state', 'failures', 'until', 'probe')
if h[1] ~= 'open' then
  return {'closed', tonumber(h[2] or '0') or 0, 0}
end
local untilMs = tonumber(h[3]) or 0
if now < untilMs then
  return {'open', 0, untilMs}
end
local probe = tonumber(h[4] or '0') or 0
if probe > now then
  return {'probing', 0, probe}
end
redis.call('HSET', KEYS[1], 'probe', now + lease)
return {'probe', 0, now + lease}
`;

/**
 * circuit_record: the outcome of a call that went through.
 *
 * KEYS[1] the circuit's hash
 * ARGV[1] outcome `failure` (5xx, overloaded, timeout) | `success` (answered); ARGV[2] nowMs
 * ARGV[3] windowMs    failures further apart than this from the window's first do not add up
 * ARGV[4] threshold   failures within the window that open the circuit; ARGV[5] cooldownMs its cool-down
 * ARGV[6] probe       `1` when the call was the half-open probe; ARGV[7] ttlMs lifetime of the hash after this write
 *
 * A success closes the circuit when closed (resets the count) or when it was the probe; any other success changes
 * nothing. A failure while closed counts (the window restarts when its first failure is older than windowMs) and
 * opens the circuit at `threshold`; the probe's failure reopens it for another cool-down; another failure while open
 * changes nothing. Returns {state, failures, untilMs} after the write, as circuit_check does (`closed` or `open`).
 */
export const CIRCUIT_RECORD_LUA = `
local k = KEYS[1]
local outcome = ARGV[1]
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local threshold = tonumber(ARGV[4])
local cooldown = tonumber(ARGV[5])
local probe = ARGV[6] == '1'
local ttl = tonumber(ARGV[7])
local h = redis.call('HMGET', k, 'state', 'failures', 'since', 'until')
local open = h[1] == 'open'
if outcome == 'success' then
  if open and not probe then return {'open', 0, tonumber(h[4]) or 0} end
  redis.call('DEL', k)
  return {'closed', 0, 0}
end
if open then
  if not probe then return {'open', 0, tonumber(h[4]) or 0} end
  local untilMs = now + cooldown
  redis.call('HSET', k, 'opened', now, 'until', untilMs, 'probe', 0)
  redis.call('PEXPIRE', k, ttl)
  return {'open', 0, untilMs}
end
local failures = tonumber(h[2] or '0') or 0
local since = tonumber(h[3] or '0') or 0
if failures == 0 or now - since > window then
  failures = 0
  since = now
end
failures = failures + 1
if failures >= threshold then
  local untilMs = now + cooldown
  redis.call('HSET', k, 'state', 'open', 'failures', failures, 'since', since, 'opened', now, 'until', untilMs, 'probe', 0)
  redis.call('PEXPIRE', k, ttl)
  return {'open', failures, untilMs}
end
redis.call('HSET', k, 'state', 'closed', 'failures', failures, 'since', since)
redis.call('PEXPIRE', k, ttl)
return {'closed', failures, 0}
`;

/**
 * circuit_release_probe: gives back the half-open probe lease of a caller that made no call after all (its budget
 * refused it, or a budget downgrade sent it to another model), so the next caller probes at once instead of after
 * the lease.
 *
 * KEYS[1] the circuit's hash
 * ARGV[1] leaseEnd  ms since epoch the caller's lease ends (as `circuit_check` set it): a newer lease is left alone
 *
 * Returns 1 when the lease was given back, else 0.
 */
export const CIRCUIT_RELEASE_PROBE_LUA = `
if redis.call('HGET', KEYS[1], 'probe') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'probe', 0)
  return 1
end
return 0
`;
