"""A real HTTP receiver of webhooks on loopback, whose received requests tests can read."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.ports import free_port


class Receiver:
    """Records every request it gets; answers with the next of `statuses` (then the last one, forever)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests = []
        self.lock = threading.Lock()
        self.url = None

    def answer(self):
        with self.lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def bodies(self):
        return [json.loads(body) for _headers, body in self.requests]


def _handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body.decode("utf-8")))
            status = receiver.answer()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def start_receiver():
    """start_receiver(statuses=(200,)) → a running Receiver whose .url takes webhook posts."""
    servers = []

    def _start(statuses=(200,)):
        receiver = Receiver(statuses)
        port = free_port()
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        receiver.url = f"http://127.0.0.1:{port}/hook"
        return receiver

    yield _start
    for server in servers:
        server.shutdown()
        server.server_close()
