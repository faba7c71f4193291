"""Fixtures of the delivery tests: apps allowed to call the loopback receiver (tests/receiver.py)."""
import pytest


@pytest.fixture
def hook_app(make_app):
    """An app that may call webhooks on loopback over http (WEBHOOK_ALLOW_HTTP/PRIVATE), retrying at once."""
    return make_app(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True, DELIVERY_RETRY_SCHEDULE=[0, 0, 0])
