"""`python -m bench.deliveries`: how fast dedicated workers drain the outbox.

Queues --count webhook deliveries (webhook.test events) to a receiver on loopback, starts --workers
`flask deliveries work --threads T` processes, and reports deliveries drained per second, and whether each
was received exactly once (by webhook-id). A light run: no wrk, no web server."""
import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import seed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class MailSink:
    """aiosmtpd handler counting the messages it accepts."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def receiver():
    """A loopback HTTP server counting POSTs by webhook-id; (server, counter)."""
    received = collections.Counter()
    received.times = []  # when each POST arrived (monotonic)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                received[self.headers["webhook-id"]] += 1
                received.times.append(time.monotonic())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def queue_deliveries(app, url, count):
    from contactapi.database import write_transaction
    from contactapi.deliveries import endpoints, events, outbox

    with app.test_request_context():
        account = seed.make_account(app, "owner@bench.example")
        webhook, _secret = endpoints.create(account.id, url, ["contact.created"])
        with write_transaction() as session:
            outbox.queue(session, *[events.test_delivery(webhook) for _ in range(count)])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.deliveries", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="default: SQLite")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    options = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench-deliveries-")
    url = options.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    settings = {"WEBHOOK_ALLOW_HTTP": True, "WEBHOOK_ALLOW_PRIVATE": True}
    app = seed.make_app(url)
    app.config.update(settings)
    seed.reset_schema(app)
    server, received = receiver()
    queue_deliveries(app, f"http://127.0.0.1:{server.server_port}/hook", options.count)
    env = {**os.environ, "CONTACTAPI_ENV": "production", "SECRET_KEY": "bench-only", "DATABASE_URL": url,
           "WEBHOOK_ALLOW_HTTP": "1", "WEBHOOK_ALLOW_PRIVATE": "1", "DELIVERY_POLL_INTERVAL": "0.05"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "deliveries", "work", "--threads", str(options.threads)]
    started = time.monotonic()
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
               for _ in range(options.workers)]
    try:
        while len(received) < options.count and time.monotonic() - started < 600:
            time.sleep(0.05)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(30)
        server.shutdown()
    # From the first delivery received to the last: the workers' start-up (imports, connections) left out.
    elapsed = max(received.times[-1] - received.times[0], 1e-6) if len(received.times) > 1 else float("inf")
    twice = sum(1 for n in received.values() if n > 1)
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"| {database} | {options.workers} × {options.threads} threads | {options.count} | "
          f"{(len(received) - 1) / elapsed:,.0f} deliveries/s | {len(received)} received, {twice} more than once |")


if __name__ == "__main__":
    main()
