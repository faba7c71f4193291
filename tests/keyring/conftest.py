"""Fixtures of the keyring tests: a signed-in client, mail servers that are down or refuse everything."""
import pytest
from aiosmtpd.controller import Controller

from contactapi import magic_links
from contactapi.extensions import db
from tests.keyring.helpers import click
from tests.ports import free_port


# Flask-Mail suppresses sending when TESTING is on; these servers must really be tried.
REALLY_SEND = {"MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def sign_in(app):
    """sign_in(client, email) → the client, signed in to the dashboard through a real sign-in link."""

    def _sign_in(client, email="owner@example.com"):
        with app.test_request_context():
            token = magic_links.make(email, "sign_in")
            db.session.remove()
        response = click(client, f"/link/{token}")
        assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/keys")
        return client

    return _sign_in


@pytest.fixture
def owner(client, sign_in):
    """A client signed in as owner@example.com."""
    return sign_in(client, "owner@example.com")


class RefusingInbox:
    """An SMTP server that refuses every message."""

    async def handle_DATA(self, server, session, envelope):
        return "554 5.7.1 Message refused"


@pytest.fixture
def refusing_mail_app(make_app):
    """An app whose mail server refuses every message."""
    port = free_port()
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    yield make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, **REALLY_SEND)
    controller.stop()


@pytest.fixture
def down_mail_app(make_app):
    """An app whose mail server is down: nothing listens on its port."""
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2, **REALLY_SEND)

