"""The workers that drain the outbox: one loop, run in a background thread of each web process (embedded,
the default) or by `flask deliveries work` on any host. Any number of them share the work."""
import logging
import os
import threading
import time

from flask import current_app

from .. import contact_counts, sealed, search_index
from . import mail, outbox, outcomes, safe_http, traffic as requests_served, webhooks

log = logging.getLogger(__name__)
SENDERS = {"mail": mail, "webhook": webhooks}
_EMBEDDED = "contactapi.delivery_workers"  # app.extensions key: this process's embedded workers
HOUSEKEEPING_MAX_LAG = 5.0  # seconds: how long _keep_house waits for a pause in the requests, at most


UNREADABLE = ("a sealed secret of this delivery cannot be opened: SECRET_KEY was changed without the old key "
              "in SECRET_KEY_FALLBACKS. Add the old key to SECRET_KEY_FALLBACKS, then retry the delivery")


def _send(sender, claimed):
    """sender.send(claimed), any other exception than DeliveryFailed turned into one, so that every attempt
    ends on the retry schedule (DELIVERY_RETRY_SCHEDULE) with its error recorded: left to the lease, a
    broken delivery came back at every lease expiry, for ever, with no last_error."""
    try:
        return sender.send(claimed)
    except outbox.DeliveryFailed:
        raise
    except sealed.Unreadable:  # no retry opens it: only the operator can, by restoring the old key
        raise outbox.DeliveryFailed(UNREADABLE, permanent=True) from None
    except Exception as error:  # a bug, or what a sender did not foresee: logged with its traceback once
        log.exception("Delivery %s raised an unexpected error", claimed.id)
        # The type and the message only (never the payload, nor a traceback's local values).
        raise outbox.DeliveryFailed(f"unexpected error: {type(error).__name__}: {error}"[:300]) from None


def attempt(claimed, results):
    """Send one claimed delivery and add what happened to results (delivered, retry later, or failed)."""
    sender = SENDERS[claimed.kind]
    started = time.monotonic()
    try:
        status = _send(sender, claimed)
    except outbox.DeliveryFailed as failure:
        elapsed = int((time.monotonic() - started) * 1000)
        delay = results.add_failure(claimed, failure, elapsed)
        if delay is None:
            log.error("Could not deliver %s %s after %d attempt(s), giving up: %s",
                      claimed.id, sender.describe(claimed), claimed.attempts, failure)
        else:
            log.warning("Could not deliver %s %s (attempt %d), retrying in %.0f s: %s",
                        claimed.id, sender.describe(claimed), claimed.attempts, delay, failure)
        return False
    results.add_delivered(claimed, int((time.monotonic() - started) * 1000), status)
    return True


def _longest_send():
    """Seconds one attempt may take at most (the mail deadline or the webhook one)."""
    return max(current_app.config["MAIL_SEND_DEADLINE"], safe_http.TIMEOUT)


def run_once(stop=None, traffic=None):
    """Claim a batch of the most urgent due deliveries (DELIVERY_BATCH), attempt them one after the other and
    record the results in one transaction; how many were attempted (0: none was due).

    Within the lease only: once what is left of it could not cover one more attempt, or when stop is set,
    the rest of the batch is released (due again now, for any worker) rather than sent late.
    traffic (an embedded worker's): each attempt first waits for a pause in the process's requests, at most
    until the delivery is DELIVERY_MAX_LAG seconds late (traffic.py)."""
    held_until = time.monotonic() + current_app.config["DELIVERY_LEASE"]
    claimed = outbox.claim_batch(current_app.config["DELIVERY_BATCH"])
    if not claimed:
        return 0
    results = outcomes.Results()
    try:
        for n, delivery in enumerate(claimed):
            if traffic is not None:
                traffic.wait_for_pause(stop, delivery.due_at, current_app.config["DELIVERY_MAX_LAG"])
            if n and ((stop is not None and stop.is_set()) or time.monotonic() + _longest_send() >= held_until):
                results.add_released(delivery)
                continue
            try:
                attempt(delivery, results)
            except Exception:  # a bug in the worker's own bookkeeping must not stop it; the lease brings it back
                log.exception("Delivery %s broke its worker's attempt; it is retried when its lease ends",
                              delivery.id)
    finally:
        outcomes.record(results)  # what was sent is recorded, even when a bug or a stop ended the batch
    return len(claimed) - len(results.released)


def drain():
    """Attempt deliveries until none is due; returns how many were attempted."""
    count = 0
    try:
        while claimed := run_once():
            count += claimed
    finally:
        mail.close_connection()
    return count


def _keep_house():
    """The work written meanwhile that waits for a worker: new submissions indexed for search
    (search_index.py), new contacts' count changes folded into their accounts (contact_counts.py)."""
    search_index.index_pending()
    contact_counts.fold()


def run(app, stop):
    """Work until stop (a threading.Event) is set: batch after batch while they come full, else a short nap.
    Between batches it also keeps house (_keep_house): when the process's requests pause, and under load that
    never pauses at least every HOUSEKEEPING_MAX_LAG seconds, so what waits for it does not pile up."""
    with app.app_context():
        interval, batch = current_app.config["DELIVERY_POLL_INTERVAL"], current_app.config["DELIVERY_BATCH"]
        traffic = requests_served.of(app)
        kept_house = time.monotonic()
        while not stop.is_set():
            try:
                attempted = run_once(stop, traffic)
                if traffic is None or traffic.paused() or time.monotonic() - kept_house >= HOUSEKEEPING_MAX_LAG:
                    _keep_house()
                    kept_house = time.monotonic()
                if not attempted:
                    mail.close_connection(idle_for=mail.KEEP_IDLE)  # not held open for ever when idle
                if attempted < batch:
                    # Less than a full batch: let the next deliveries gather for a moment rather than claim
                    # them one or two at a time (a transaction each). A full batch means a backlog: no pause.
                    stop.wait(interval)
            except Exception:  # the database went away, say: wait and try again
                log.exception("Delivery worker could not reach the outbox; trying again")
                stop.wait(max(interval, 5))
        mail.close_connection()


class _Embedded:
    """This process's background workers for one app."""

    def __init__(self, app, count):
        self.pid = os.getpid()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=run, args=(app, self.stop), name=f"deliveries-{n}", daemon=True)
                        for n in range(count)]
        for thread in self.threads:
            thread.start()


def start_embedded(app):
    """Start DELIVERY_EMBEDDED_WORKERS background threads in this process, once (a forked worker gets its own)."""
    count = app.config["DELIVERY_EMBEDDED_WORKERS"]
    running = app.extensions.get(_EMBEDDED)
    if count <= 0 or (running is not None and running.pid == os.getpid()):
        return
    app.extensions[_EMBEDDED] = _Embedded(app, count)


def stop_embedded(app, timeout=5):
    """Ask this process's embedded workers to stop and wait up to timeout seconds. A delivery still being
    sent after that is not lost: its row comes back when its lease ends (logged here)."""
    running = app.extensions.pop(_EMBEDDED, None)
    if running is None or running.pid != os.getpid():
        return
    running.stop.set()
    for thread in running.threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in running.threads):
        log.warning("Delivery worker still sending at shutdown; that delivery is retried after its lease "
                    "(DELIVERY_LEASE=%ss)", app.config["DELIVERY_LEASE"])
