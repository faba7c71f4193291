"""Deliveries that are never lost: the outbox (a row per mail or webhook call, written in the transaction
that causes it), the workers that drain it, and the senders (mail.py, webhooks.py).

Public interface:
  queue(connection, *Outgoing)          write deliveries in the caller's transaction
  forget_address(connection, account_id, email)   delete an address's deliveries (erasure)
  retry_now(account_id, delivery_id)    another attempt now
  init_app(app)                         embedded workers start with the first request of each process
  worker.start_embedded / stop_embedded / drain / run, and `flask deliveries work`"""
from .outbox import HIGH, NORMAL, DeliveryFailed, Outgoing, forget_address, queue
from .outcomes import retry_now

__all__ = ["HIGH", "NORMAL", "DeliveryFailed", "Outgoing", "forget_address", "queue", "retry_now", "init_app"]


def init_app(app):
    """Drain the outbox in the background of every process serving this app (DELIVERY_EMBEDDED_WORKERS)."""
    from . import cli, traffic, worker

    cli.register(app)
    if app.config["DELIVERY_EMBEDDED_WORKERS"] > 0:
        traffic.register(app)  # the embedded workers give way to this process's requests
        # Started by the first request a process serves (gunicorn.conf.py also starts them as soon as a
        # worker boots): never at import, so `flask db upgrade` and other commands start no thread.
        app.before_request(lambda: worker.start_embedded(app))
