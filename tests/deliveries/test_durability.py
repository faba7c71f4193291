"""Nothing is lost: a web process killed (kill -9) or stopped (SIGTERM) while its background worker is stuck
sending a notification to a hung mail server leaves the delivery in the outbox, and it arrives once the
service runs again. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
import asyncio
import os
import signal
import threading

import pytest
import requests

from tests.deliveries.helpers import deliveries_of
from tests.forms.conftest import SITE, wait_for
from tests.smtp import Inbox


class HungInbox:
    """A mail server that takes the message and never answers it."""

    def __init__(self):
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.holding.set()
        await asyncio.sleep(3600)
        return "250 OK"


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["kill -9", "SIGTERM"])
def test_a_delivery_held_by_a_dying_process_arrives_after_restart(gunicorn, start_smtp, make_key, app, how,
                                                                  tmp_path):
    hung, inbox = HungInbox(), Inbox()
    key = make_key("owner@example.com", kind="publishable")
    settings = {"DELIVERY_LEASE": "3", "DELIVERY_POLL_INTERVAL": "0.1", "MAIL_SERVER": "127.0.0.1",
                "MAIL_TIMEOUT": "60", "MAIL_SEND_DEADLINE": "120"}
    log_path = tmp_path / "first.log"
    with open(log_path, "w") as output:
        base = gunicorn(workers=1, output=output, MAIL_PORT=str(start_smtp(hung)), **settings)
    response = requests.post(base + "/v1/contacts", json={"email": "a@example.com", "message": "keep me"},
                             headers={"Authorization": f"Bearer {key}", "Origin": SITE}, timeout=10)
    assert response.status_code == 201
    assert hung.holding.wait(20), "the background worker never started sending"
    [held] = deliveries_of(app)
    assert held["status"] == "pending" and held["attempts"] == 1 and held["lease_token"]
    master = gunicorn.processes[-1]
    if how == "kill -9":
        for pid in _children(master.pid) + [master.pid]:
            os.kill(pid, signal.SIGKILL)
        master.wait(10)
    else:
        master.send_signal(signal.SIGTERM)
        master.wait(40)
        assert "retried after its lease" in log_path.read_text()
    assert [d["status"] for d in deliveries_of(app)] == ["pending"]  # still in the outbox

    gunicorn(workers=1, MAIL_PORT=str(start_smtp(inbox)), **settings)  # the service runs again
    wait_for(lambda: len(inbox.messages) == 1, timeout=30)
    assert "message: keep me" in Inbox.text_of(inbox.messages[0])
    wait_for(lambda: deliveries_of(app)[0]["status"] == "delivered")
    assert deliveries_of(app)[0]["attempts"] == 2
