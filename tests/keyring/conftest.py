"""Fixtures of the keyring tests: a signed-in client, mail servers that are down or refuse everything."""
import pytest
from contactapi import magic_links
from contactapi.extensions import db
from tests.keyring.helpers import click


@pytest.fixture
def sign_in(app):
    """sign_in(client, email) → the client, signed in to the dashboard through a real sign-in link."""

    def _sign_in(client, email="owner@example.com"):
        with app.test_request_context():
            token = magic_links.make(email, "sign_in")
            db.session.remove()
        response = click(client, f"/link/{token}")
        assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard")
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
def refusing_mail_app(start_smtp, app_mailing_to):
    """An app whose mail server refuses every message."""
    return app_mailing_to(start_smtp(RefusingInbox()))
