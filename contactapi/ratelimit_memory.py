"""Rate-limit counts in this worker's memory (RATELIMIT_STORAGE_URI=memory://): a `limits` Storage without
a timer thread.

limits' own MemoryStorage sweeps expired counts in a `threading.Timer` it starts again on most writes, so
requests paid for starting a thread (under gunicorn ~4.5 % of a worker's samples were spent waiting in
Thread.start). Here a count that has expired is dropped when it is next read, and the whole store is swept
in the request that writes after SWEEP_INTERVAL, so memory stays bounded by the identities recently seen.
It serves the three strategies `limits` offers (fixed window, moving window, sliding window counter), with
the same answers as MemoryStorage. It is registered with `limits` for worker-memory://, which
ratelimits counts in for memory://."""
import threading
import time
from collections import deque
from math import floor

from limits.storage import MovingWindowSupport, SlidingWindowCounterSupport, Storage

WORKER_MEMORY = "worker-memory"  # the scheme it is registered for
SWEEP_INTERVAL = 10  # seconds between two sweeps of the expired counts


class WorkerMemoryStorage(Storage, MovingWindowSupport, SlidingWindowCounterSupport):
    """Counts (fixed and sliding windows) and entry times (moving window) in dicts behind one lock."""

    STORAGE_SCHEME = (WORKER_MEMORY,)

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.lock = threading.Lock()
        self.counts = {}  # key → [count, expires at (time.time())]
        self.entries = {}  # key → (expiry in seconds, a deque of the times of its entries, oldest first)
        self.next_sweep = time.time() + SWEEP_INTERVAL

    @property
    def base_exceptions(self):
        return ValueError

    # Counters: the fixed window and the sliding window counter.

    def _live_count(self, key, now):
        """The [count, expires at] of key, or None once it has expired (then it is dropped)."""
        counter = self.counts.get(key)
        if counter is not None and counter[1] <= now:
            del self.counts[key]
            return None
        return counter

    def _add(self, key, expiry, amount, now):
        """Add amount to key's count; a count that starts (again) from 0 expires expiry seconds from now."""
        counter = self._live_count(key, now)
        if counter is None:
            counter = self.counts[key] = [0, 0.0]
        if counter[0] == 0:
            counter[1] = now + expiry
        counter[0] += amount
        return counter[0]

    def incr(self, key, expiry, amount=1):
        now = time.time()
        with self.lock:
            self._sweep_when_due(now)
            return self._add(key, expiry, amount, now)

    def decr(self, key, amount=1):
        with self.lock:
            counter = self._live_count(key, time.time())
            if counter is None:
                return 0
            counter[0] = max(counter[0] - amount, 0)
            return counter[0]

    def get(self, key):
        with self.lock:
            counter = self._live_count(key, time.time())
        return 0 if counter is None else counter[0]

    def get_expiry(self, key):
        now = time.time()
        with self.lock:
            counter = self._live_count(key, now)
        return now if counter is None else counter[1]

    # The moving window: the time of every entry still in the window.

    def _live_entries(self, key, expiry, now):
        """key's entry times after dropping those older than its window (None when none is left)."""
        found = self.entries.get(key)
        if found is None:
            return None
        times, start = found[1], now - expiry
        while times and times[0] < start:
            times.popleft()
        if not times:
            del self.entries[key]
            return None
        return times

    def acquire_entry(self, key, limit, expiry, amount=1):
        if amount > limit:
            return False
        now = time.time()
        with self.lock:
            self._sweep_when_due(now)
            times = self._live_entries(key, expiry, now)
            if times is None:
                times = deque()
                self.entries[key] = (expiry, times)
            if len(times) + amount > limit:  # every time left is in the window (MemoryStorage: atime >= now - expiry)
                return False
            times.extend([now] * amount)
            return True

    def get_moving_window(self, key, limit, expiry):
        """(the time of the oldest entry in the window, how many entries it holds); (now, 0) when empty."""
        now = time.time()
        with self.lock:
            times = self._live_entries(key, expiry, now)
            if times is None:
                return now, 0
            at_start = 0  # entries exactly window-old are not counted here (MemoryStorage: atime > now - expiry)
            while at_start < len(times) and times[at_start] == now - expiry:
                at_start += 1
            in_window = len(times) - at_start
            return (times[at_start], in_window) if in_window else (now, 0)

    # The sliding window counter: this window's count and the previous one's, weighted by its time left.

    @staticmethod
    def sliding_window_keys(key, expiry, at):
        """The previous and the current window's keys (as limits' TimestampedSlidingWindow names them)."""
        return f"{key}/{int((at - expiry) / expiry)}", f"{key}/{int(at / expiry)}"

    def _sliding_window(self, key, expiry, now):
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous = self._live_count(previous_key, now)
        current = self._live_count(current_key, now)
        previous_count = 0 if previous is None else previous[0]
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous_count else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous_count, previous_ttl, 0 if current is None else current[0], current_ttl

    def acquire_sliding_window_entry(self, key, limit, expiry, amount=1):
        if amount > limit:
            return False
        now = time.time()
        with self.lock:
            self._sweep_when_due(now)
            previous_count, previous_ttl, current_count, _ttl = self._sliding_window(key, expiry, now)
            if floor(previous_count * previous_ttl / expiry + current_count) + amount > limit:
                return False
            # kept for twice the window, as MemoryStorage does: the next window still weighs this one
            self._add(self.sliding_window_keys(key, expiry, now)[1], 2 * expiry, amount, now)
            return True

    def get_sliding_window(self, key, expiry):
        with self.lock:
            return self._sliding_window(key, expiry, time.time())

    def clear_sliding_window(self, key, expiry):
        with self.lock:
            for window_key in self.sliding_window_keys(key, expiry, time.time()):
                self.counts.pop(window_key, None)

    # The store as a whole.

    def _sweep_when_due(self, now):
        """Drop every expired count and entry, at most once per SWEEP_INTERVAL (the lock is held)."""
        if now < self.next_sweep:
            return
        self.next_sweep = now + SWEEP_INTERVAL
        for key in [key for key, (_count, expires_at) in self.counts.items() if expires_at <= now]:
            del self.counts[key]
        for key, (expiry, _times) in list(self.entries.items()):
            self._live_entries(key, expiry, now)

    def check(self):
        return True

    def reset(self):
        with self.lock:
            cleared = max(len(self.counts), len(self.entries))
            self.counts.clear()
            self.entries.clear()
        return cleared

    def clear(self, key):
        with self.lock:
            self.counts.pop(key, None)
            self.entries.pop(key, None)
