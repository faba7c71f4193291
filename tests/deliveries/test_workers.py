"""Dedicated workers (`flask deliveries work`): any number of them share the outbox, each delivery sent
exactly once while every worker lives (the lease and, on PostgreSQL, SKIP LOCKED), none lost."""
import collections
import os
import signal
import subprocess
import sys

import pytest

from contactapi import accounts
from contactapi.database import write_transaction
from contactapi.deliveries import endpoints, events, outbox
from tests.conftest import ROOT, TEST_SECRET
from tests.deliveries.helpers import deliveries_of
from tests.forms.conftest import wait_for

COUNT = 500


@pytest.mark.slow
def test_two_worker_processes_deliver_500_webhooks_each_exactly_once(hook_app, database_url, start_receiver):
    receiver = start_receiver()
    with hook_app.test_request_context():
        account = accounts.get_or_create_account("owner@example.com")
        webhook, _secret = endpoints.create(account.id, receiver.url, ["contact.created"])
        with write_transaction() as session:
            outbox.queue(session, *[events.test_delivery(webhook) for _ in range(COUNT)])
    queued = {d["id"] for d in deliveries_of(hook_app)}
    assert len(queued) == COUNT
    environment = {**os.environ, "CONTACTAPI_ENV": "production", "SECRET_KEY": TEST_SECRET,
                   "DATABASE_URL": database_url, "WEBHOOK_ALLOW_HTTP": "1", "WEBHOOK_ALLOW_PRIVATE": "1",
                   "DELIVERY_POLL_INTERVAL": "0.1"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "deliveries", "work", "--threads", "2"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=environment) for _ in range(2)]
    try:
        wait_for(lambda: len(deliveries_of(hook_app, status="delivered")) == COUNT, timeout=180)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(30) == 0
    received = collections.Counter(headers["webhook-id"] for headers, _body in receiver.requests)
    assert set(received) == queued and set(received.values()) == {1}


@pytest.mark.parametrize("threads", ["0", "-1"])
def test_a_worker_without_threads_is_refused(runner, threads):
    # It would start nothing and exit 0, as if it had sent the outbox.
    result = runner.invoke(args=["deliveries", "work", "--threads", threads])
    assert result.exit_code == 2
    assert "Invalid value for '--threads'" in result.output and ">=1" in result.output
