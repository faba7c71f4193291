"""Where this worker counts: the store RATELIMIT_STORAGE_URI names (memory:// in ratelimit_memory's storage,
which starts no thread), with the strategy RATELIMIT_STRATEGY names, and, while that store cannot be reached
(RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), this worker's own memory, checking the store again after a back-off."""
import time

from limits.storage import storage_from_string
from limits.strategies import STRATEGIES

from .config import ConfigError
from .ratelimit_memory import WORKER_MEMORY, WorkerMemoryStorage

LONGEST_BACK_OFF = 32  # seconds between checks of a store that is down
# Seconds a Redis call may take before the store counts as down. A Redis that accepts connections and never
# answers (hung, or a network that drops packets) held each counted request, and every /healthz, for 5 s:
# a count takes about a millisecond, so waiting longer only delays the fall back to memory.
REDIS_TIMEOUT = 0.5
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


class Counter:
    """This worker's way to the counts: the strategy on the configured store, or, while the store cannot be
    reached, a strategy on this worker's memory."""

    def __init__(self, config):
        uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
        if uri.startswith("memory://"):  # the same counts, without limits' MemoryStorage's timer thread
            uri = WORKER_MEMORY + uri[len("memory"):]
        options = dict(config.get("RATELIMIT_STORAGE_OPTIONS", {}))
        if uri.startswith(_REDIS_SCHEMES):  # the operator's own RATELIMIT_STORAGE_OPTIONS win
            options = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT, **options}
        self.storage = storage_from_string(uri, **options)
        name = config.get("RATELIMIT_STRATEGY", "fixed-window")
        if name not in STRATEGIES:
            raise ConfigError(f"RATELIMIT_STRATEGY must be one of {', '.join(sorted(STRATEGIES))}, not {name!r}")
        strategy_class = STRATEGIES[name]
        self.shared = strategy_class(self.storage)
        self.fallback_enabled = config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", False)
        self.fallback = strategy_class(WorkerMemoryStorage())
        self.in_memory = False
        self.next_check, self.back_off = 0.0, 1

    def strategy(self):
        if self.in_memory and time.monotonic() >= self.next_check:
            if self.storage.check():
                self.in_memory, self.back_off = False, 1
            else:
                self._wait_longer()
        return self.fallback if self.in_memory else self.shared

    def _wait_longer(self):
        self.next_check = time.monotonic() + self.back_off
        self.back_off = min(self.back_off * 2, LONGEST_BACK_OFF)

    def hit(self, item, identifiers):
        """(the strategy that counted, whether the request is within the limit)."""
        strategy = self.strategy()
        try:
            return strategy, strategy.hit(item, *identifiers)
        except Exception:
            if strategy is self.fallback or not self.fallback_enabled:
                raise
            self.in_memory = True
            self._wait_longer()
            return self.fallback, self.fallback.hit(item, *identifiers)
