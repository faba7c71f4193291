"""Deadlines of sendings, kept by one watchdog thread per process: it calls an attempt's hang-up when its
deadline passes (shutting its socket down, which ends a blocked read or write). A threading.Timer per
attempt started a thread for every mail and webhook call; arming this one costs a lock."""
import itertools
import os
import threading
import time
from contextlib import contextmanager


class _Watchdog:
    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked process starts its own thread

    def _reset(self):
        self._wake = threading.Condition()
        self._armed = {}  # token → (deadline, hang_up)
        self._tokens = itertools.count()
        self._sleeping_until = None  # the deadline the thread waits for; None: no thread, or waiting for any
        self._thread = None

    def _watch(self):
        with self._wake:
            while True:
                now = time.monotonic()
                for token, (deadline, hang_up) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        hang_up()
                self._sleeping_until = min((deadline for deadline, _ in self._armed.values()), default=None)
                self._wake.wait(None if self._sleeping_until is None else self._sleeping_until - now)

    @contextmanager
    def deadline(self, seconds, hang_up):
        """Call hang_up() (from the watchdog thread) if the block still runs after seconds."""
        deadline = time.monotonic() + seconds
        with self._wake:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="deliveries-deadlines", daemon=True)
                self._thread.start()
            token = next(self._tokens)
            self._armed[token] = (deadline, hang_up)
            if self._sleeping_until is None or deadline < self._sleeping_until:
                self._wake.notify()  # only when it sleeps past this deadline: most arms wake nobody
        try:
            yield
        finally:
            with self._wake:
                self._armed.pop(token, None)


deadline = _Watchdog().deadline
