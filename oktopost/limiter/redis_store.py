"""The budget in Redis, for installations whose processes share one."""

from __future__ import annotations

import os
import random
import time

import redis

from oktopost.limiter.base import Budget, Clock, Decision, Limiter, Sleep, budget_report
from oktopost.limiter.plan import (
    KIND_FLOORS,
    MINUTE_WINDOW,
    SHORT_WINDOW,
    SLOW_DOWN_MIN,
    SLOW_DOWN_STEP,
    WAITING_GRACE,
    Limits,
    Priority,
    day_key,
    kind_of,
    next_midnight,
)

# Sliding windows and the pacing bucket in one atomic step. KEYS: all grants zset (an
# interactive grant's member starts with "i:"), interactive grants zset (for counting), block
# key, day counter, day interactive counter, interactive-waiting key, pacing bucket hash,
# the day's calls-by-kind hash. ARGV: now, 1 if interactive, then cap and reserve for 5 s,
# the minute and the day, the unique member, the exclusive lower bounds of the 5 s and 60 s
# windows, the caller's deadline, the waiting grace, the kind, the bucket's size, the kind's
# floor (a fraction of the size), the slow-down factor, the next UTC midnight.
# Returns {"ok"} or {reason, retry_at-as-string} (strings keep the fractions Lua would drop).
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local interactive = ARGV[2] == '1'
local blocked = redis.call('GET', KEYS[3])
if blocked and tonumber(blocked) > now then return {'blocked', blocked} end
local capd, resd = tonumber(ARGV[7]), tonumber(ARGV[8])
local used = tonumber(redis.call('GET', KEYS[4]) or '0')
local usedi = tonumber(redis.call('GET', KEYS[5]) or '0')
if used - usedi + math.max(usedi, resd) >= capd then return {'day', ARGV[18]} end
if not interactive then
  local waiting = redis.call('GET', KEYS[6])
  if waiting and tonumber(waiting) > now then return {'window', waiting} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[11])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[11])
local retry = 0
local windows = {{5, tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[10]},
                 {60, tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[11]}}
for _, w in ipairs(windows) do
  local width, cap, reserve, lo = w[1], w[2], w[3], '(' .. w[4]
  local i = redis.call('ZCOUNT', KEYS[2], lo, '+inf')
  local b = redis.call('ZCOUNT', KEYS[1], lo, '+inf') - i
  if b + math.max(i, reserve) >= cap then
    -- Let grants leave oldest first until the call would be admitted.
    local grants = redis.call('ZRANGEBYSCORE', KEYS[1], lo, '+inf', 'WITHSCORES')
    local at = now
    for k = 1, #grants, 2 do
      if string.sub(grants[k], 1, 2) == 'i:' then i = i - 1 else b = b - 1 end
      if b + math.max(i, reserve) < cap then
        at = tonumber(grants[k + 1]) + width
        break
      end
    end
    if at > retry then retry = at end
  end
end
if retry > 0 then
  local mark = retry + tonumber(ARGV[13])
  if interactive and retry <= tonumber(ARGV[12])
     and mark > tonumber(redis.call('GET', KEYS[6]) or '0') then
    redis.call('SET', KEYS[6], string.format('%.17g', mark),
               'PX', math.ceil((mark - now) * 1000) + 1000)
  end
  return {'window', string.format('%.17g', retry)}
end
local burst = tonumber(ARGV[15])
if not interactive and burst > 0 then
  local left = math.max(0, capd - used - math.max(0, resd - usedi) - burst)
  local rate = left / math.max(60, tonumber(ARGV[18]) - now) * math.min(1, tonumber(ARGV[17]))
  local bucket = redis.call('HMGET', KEYS[7], 'tokens', 'at')
  local level = burst
  if bucket[1] then
    level = math.min(burst, tonumber(bucket[1]) + (now - tonumber(bucket[2])) * rate)
  end
  local need = 1 + tonumber(ARGV[16]) * burst
  if level < need then
    if rate <= 0 then return {'pace', ARGV[18]} end
    return {'pace', string.format('%.17g', now + (need - level) / rate)}
  end
  redis.call('HSET', KEYS[7], 'tokens', string.format('%.17g', level - 1), 'at', ARGV[1])
  redis.call('EXPIRE', KEYS[7], 172800)
end
redis.call('ZADD', KEYS[1], now, ARGV[9])
redis.call('EXPIRE', KEYS[1], 61)
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], 172800)
redis.call('HINCRBY', KEYS[8], ARGV[14], 1)
redis.call('EXPIRE', KEYS[8], 172800)
if interactive then
  redis.call('ZADD', KEYS[2], now, ARGV[9])
  redis.call('EXPIRE', KEYS[2], 61)
  redis.call('INCR', KEYS[5])
  redis.call('EXPIRE', KEYS[5], 172800)
end
return {'ok'}
"""

_BLOCK_LUA = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilv = tonumber(ARGV[1])
if untilv > current then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('EXPIREAT', KEYS[1], math.ceil(untilv) + 1)
end
return 1
"""

# KEYS: the day's slow-down hash. ARGV: now, step, minimum. Returns the new factor.
_SLOW_DOWN_LUA = """
local factor = tonumber(redis.call('HGET', KEYS[1], 'factor') or '1')
factor = math.max(tonumber(ARGV[3]), factor * tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'factor', string.format('%.17g', factor), 'at', ARGV[1])
redis.call('EXPIRE', KEYS[1], 172800)
return string.format('%.17g', factor)
"""


class RedisLimiter(Limiter):
    """The budget in Redis, updated by one Lua script so concurrent callers cannot overshoot."""

    def __init__(
        self,
        redis_url: str = "redis://127.0.0.1:6379/0",
        key_prefix: str = "oktodash:oktopost-budget",
        limits: Limits | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(limits, clock=clock, sleep=sleep)
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=3)
        self._prefix = key_prefix
        self._acquire_script = self._redis.register_script(_ACQUIRE_LUA)
        self._block_script = self._redis.register_script(_BLOCK_LUA)
        self._slow_script = self._redis.register_script(_SLOW_DOWN_LUA)

    def _keys(self, now: float) -> list[str]:
        p, day = self._prefix, day_key(now)
        # "grants" and "day:" keep their names from earlier versions: they count every call.
        return [
            f"{p}:grants",
            f"{p}:grants-interactive",
            f"{p}:blocked-until",
            f"{p}:day:{day}",
            f"{p}:day-interactive:{day}",
            f"{p}:interactive-waiting",
            f"{p}:pace",
            f"{p}:kinds:{day}",
            f"{p}:slowed:{day}",
        ]

    def _slowed(self, now: float) -> tuple[float, float | None]:
        raw = self._redis.hgetall(self._keys(now)[8])
        if not raw:
            return 1.0, None
        values = {_text(k): float(_text(v)) for k, v in raw.items()}
        return values.get("factor", 1.0), values.get("at")

    def _try_acquire(self, now: float, priority: Priority, *, deadline: float) -> Decision:
        interactive = priority == "interactive"
        factor, _ = self._slowed(now)
        limits = self.limits.slowed(factor)
        short, minute, day = limits.rules(priority)
        member = f"{'i' if interactive else 'b'}:{now!r}:{os.getpid()}:{random.getrandbits(48):x}"
        midnight = next_midnight(now)
        args = [
            repr(now),
            int(interactive),
            short.cap,
            short.reserve,
            minute.cap,
            minute.reserve,
            day.cap,
            day.reserve,
            member,
            repr(now - SHORT_WINDOW),
            repr(now - MINUTE_WINDOW),
            repr(min(deadline, now + 86400.0)),
            repr(WAITING_GRACE),
            kind_of(priority),
            limits.burst,
            repr(KIND_FLOORS.get(priority, 0.0)),
            repr(factor),
            repr(midnight),
        ]
        result = self._acquire_script(keys=self._keys(now), args=args)
        reason = _text(result[0])
        if reason == "ok":
            return Decision(True)
        return Decision(False, float(_text(result[1])), reason)

    def block_until(self, until: float) -> None:
        self._block_script(keys=[self._keys(self._clock())[2]], args=[repr(float(until))])

    def slow_down(self) -> float:
        now = self._clock()
        keys = [self._keys(now)[8]]
        return float(
            _text(self._slow_script(keys=keys, args=[repr(now), SLOW_DOWN_STEP, SLOW_DOWN_MIN]))
        )

    def report(self) -> Budget:
        now = self._clock()
        keys = self._keys(now)
        pipe = self._redis.pipeline()
        pipe.get(keys[3])
        pipe.get(keys[4])
        pipe.zcount(keys[0], f"({now - MINUTE_WINDOW!r}", "+inf")
        pipe.get(keys[2])
        pipe.hgetall(keys[7])
        used_raw, used_i_raw, minute, blocked_raw, kinds = pipe.execute()
        factor, slowed_at = self._slowed(now)
        return budget_report(
            self.limits,
            now,
            used=int(used_raw or 0),
            used_interactive=int(used_i_raw or 0),
            minute=int(minute),
            blocked=float(blocked_raw or 0),
            by_kind={_text(k): int(v) for k, v in kinds.items()},
            slowed=(factor, slowed_at),
        )

    def reset(self) -> None:
        keys = list(self._redis.scan_iter(match=f"{self._prefix}:*"))
        if keys:
            self._redis.delete(*keys)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
