"""Fixtures for browser-form tests: publishable keys, what got stored, and mail that has settled."""
import asyncio
import logging
import time

import pytest
from aiosmtpd.controller import Controller

from contactapi.extensions import db
from contactapi.models import Contact, Submission
from tests.ports import free_port
from tests.smtp import Inbox

SITE = "https://example.com"
# Flask-Mail suppresses sending when TESTING is on; these tests read what a real SMTP server received.
REALLY_SEND = {"MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app whose mail really goes to smtp_server; its inbox is app.inbox."""
    host, port, inbox = smtp_server
    app = make_app(MAIL_SERVER=host, MAIL_PORT=port, **REALLY_SEND)
    app.inbox = inbox
    return app


class SlowInbox(Inbox):
    """A mail server that takes 5 seconds to accept each message."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(5)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_mail_app(make_app):
    """An app whose mail server answers DATA only after 5 seconds; its inbox is app.inbox."""
    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, **REALLY_SEND)
    app.inbox = inbox
    yield app
    settle_mail(app)  # let the slow delivery finish before its server goes away
    controller.stop()


@pytest.fixture
def dead_mail_app(make_app):
    """An app whose mail server port has nothing listening on it."""
    # Alembic's fileConfig (run by the database fixture) disables loggers that already exist;
    # the failure we look for is logged by this one.
    logging.getLogger("contactapi.mailer").disabled = False
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), **REALLY_SEND)


@pytest.fixture
def pub_key(make_key):
    """A publishable key locked to example.com (owner owner@example.com)."""
    return make_key(kind="publishable", domains=["example.com"])


@pytest.fixture
def stored(app):
    """stored() → every contact as (email, fields), oldest first; stored.submissions() → their count."""

    def contacts():
        with app.app_context():
            rows = db.session.query(Contact).order_by(Contact.created_at).all()
            db.session.remove()
            return [(row.email, row.fields) for row in rows]

    def submissions():
        with app.app_context():
            count = db.session.query(Submission).count()
            db.session.remove()
            return count

    contacts.submissions = submissions
    return contacts


def wait_for(condition, timeout=15.0):
    """Poll until condition() is true; fail after timeout seconds (generous: only slow machines get near it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def settle_mail(app):
    """Wait until every mail the app queued has been sent or has failed."""
    executor = app.extensions.pop("contactapi.mail_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)
