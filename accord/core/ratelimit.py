"""Rate limits and lock-outs on the shared cache (Redis in production, a file cache embedded)."""

from __future__ import annotations

import time

from django.core.cache import cache

from accord.core.errors import LOCKED, RATE_LIMITED, ErrorCode, RateLimited


def _code_of(code: ErrorCode | str) -> str:
    return code.code if isinstance(code, ErrorCode) else code


def hit(key: str, limit: int, window: int, code: ErrorCode | str = RATE_LIMITED) -> None:
    """Count one attempt in a fixed window; refuse once ``limit`` is passed.

    ``code`` is a code declared with ``Catalogue.rate_limited`` (a plain string still works).
    """
    bucket = int(time.time() // window)
    cache_key = f"rl:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited(_code_of(code), retry_after=int(window - time.time() % window) + 1)


def locked_for(key: str) -> int:
    """Seconds left of a lock-out on ``key``, 0 when not locked."""
    until = cache.get(f"lock:{key}")
    return max(int(until - time.time()), 0) if until else 0


def check_not_locked(key: str, code: ErrorCode | str = LOCKED) -> None:
    left = locked_for(key)
    if left:
        raise RateLimited(_code_of(code), retry_after=left)


def register_failure(key: str, max_failures: int, lockout: int) -> bool:
    """Count a failed attempt; lock ``key`` for ``lockout`` seconds at ``max_failures``."""
    fail_key = f"fail:{key}"
    cache.add(fail_key, 0, timeout=lockout)
    try:
        failures = cache.incr(fail_key)
    except ValueError:
        cache.set(fail_key, 1, timeout=lockout)
        failures = 1
    if failures >= max_failures:
        cache.set(f"lock:{key}", time.time() + lockout, timeout=lockout)
        cache.delete(fail_key)
        return True
    return False


def clear_failures(key: str) -> None:
    cache.delete(f"fail:{key}")


def unlock(key: str) -> bool:
    """Lift a lock-out on ``key`` (an administrator's way in for the real owner)."""
    locked = bool(locked_for(key))
    cache.delete_many([f"lock:{key}", f"fail:{key}"])
    return locked
