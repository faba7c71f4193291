"""`python -m bench.drain_cost`: what draining costs per delivery, in one process, without a web server.

Queues --count mails (to an aiosmtpd sink on loopback) and --count webhook calls (to a receiver on loopback),
then runs `worker.drain()` on this thread and reports wall time and this thread's CPU time per delivery
(the sink's and the receiver's threads are not counted). The database is EMPTIED."""
import argparse
import os
import tempfile
import time

from aiosmtpd.controller import Controller

from . import seed
from .__main__ import free_port
from .deliveries import MailSink, receiver


def _queue(app, hook_url, count):
    from contactapi import mailer
    from contactapi.database import write_transaction
    from contactapi.deliveries import endpoints, events, outbox

    with app.test_request_context():
        account = seed.make_account(app, "owner@bench.example")
        webhook, _secret = endpoints.create(account.id, hook_url, ["contact.created"])
        mails = [mailer.outgoing(f"p{n}@bench.example", "Hello", "sign_in", topic="sign_in", account_id=account.id,
                                 link="x", minutes=1, email=f"p{n}@bench.example", base_url="") for n in range(count)]
        with write_transaction() as session:
            outbox.queue(session, *mails, *[events.test_delivery(webhook) for _ in range(count)])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.drain_cost", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="default: SQLite")
    parser.add_argument("--count", type=int, default=300, help="mails, and as many webhook calls")
    options = parser.parse_args(argv)
    url = options.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-drain-')}/bench.sqlite3"
    sink = MailSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    server, received = receiver()
    app = seed.make_app(url)
    app.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True, MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=smtp.port, MAIL_SUPPRESS_SEND=False)
    seed.reset_schema(app)
    _queue(app, f"http://127.0.0.1:{server.server_port}/hook", options.count)
    from contactapi.deliveries import worker

    with app.app_context():
        wall, cpu = time.monotonic(), time.thread_time()
        drained = worker.drain()
        wall, cpu = time.monotonic() - wall, time.thread_time() - cpu
    smtp.stop()
    server.shutdown()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"| {database} | {drained} ({sink.count} mails, {len(received)} webhooks) | {wall:.1f} s | "
          f"{drained / wall:,.0f}/s | {wall * 1000 / drained:.1f} ms | {cpu * 1000 / drained:.1f} ms |")


if __name__ == "__main__":
    main()
