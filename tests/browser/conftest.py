"""A real headless browser for the journey tests: Playwright driving Debian's chromium, and a customer's
static site on a port of its own."""
import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """A headless chromium for the whole run; tests open their own pages (browser.new_page())."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript"}  # ES modules

    def log_message(self, *args):
        pass


@pytest.fixture
def customer_site(tmp_path):
    """(write(name, html), port): a static site of the files in tmp_path, whose pages tests write; reachable as
    localhost and 127.0.0.1 (two different sites for the browser)."""
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def write(name, body):
        (tmp_path / name).write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Shop</title></head>"
                                     f"<body>{body}</body></html>")

    yield write, port
    server.shutdown()
    server.server_close()
