"""The requests a web process is serving, so that its embedded delivery workers give way to them.

A delivery costs about as much CPU as the submission that caused it (composing a mail, talking SMTP), and
an embedded worker shares its process (and the GIL) with the requests. Sent the moment it is queued, each
mail would slow the very submissions that keep arriving. Instead a due delivery waits for a pause in this
process's requests (LULL seconds with none), so a burst is answered first and mailed right after; but
never longer than DELIVERY_MAX_LAG seconds past its due time, so under load that never pauses the mail
still goes out, within that lag, sharing the CPU with the requests. `flask deliveries work` processes
serve no requests and never wait."""
import threading
import time
from datetime import timedelta

from ..models import utcnow

LULL = 0.02  # seconds without a request that count as a pause
_EXTENSION = "contactapi.traffic"


class Traffic:
    """How many requests this process is serving now, and when the last one ended."""

    def __init__(self):
        self._lock = threading.Lock()  # gthread workers serve requests from several threads
        self.in_flight = 0
        self.last_ended = 0.0  # time.monotonic()

    def started(self):
        with self._lock:
            self.in_flight += 1

    def ended(self):
        with self._lock:
            self.in_flight = max(self.in_flight - 1, 0)
            self.last_ended = time.monotonic()

    def paused(self):
        """True when no request is being served and none has ended within the last LULL seconds."""
        return self.in_flight == 0 and time.monotonic() - self.last_ended >= LULL

    def wait_for_pause(self, stop, due_at, max_lag):
        """Wait until the requests pause, stop is set, or the delivery due at due_at (naive UTC, or None)
        has waited max_lag seconds; returns at once when max_lag is 0."""
        if max_lag <= 0 or due_at is None:
            return
        waited = utcnow() - due_at
        until = time.monotonic() + (timedelta(seconds=max_lag) - waited).total_seconds()
        while not self.paused() and not stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            stop.wait(min(LULL, left))


def register(app):
    """Count the requests app serves in this process, around the whole WSGI call (a request refused by an
    early hook counts too); returns the Traffic."""
    traffic = app.extensions[_EXTENSION] = Traffic()
    serve = app.wsgi_app

    def counted(environ, start_response):
        traffic.started()
        try:
            return serve(environ, start_response)
        finally:
            traffic.ended()

    app.wsgi_app = counted
    return traffic


def of(app):
    """The app's Traffic, or None when its requests are not counted."""
    return app.extensions.get(_EXTENSION)
