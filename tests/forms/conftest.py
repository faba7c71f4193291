"""Fixtures for browser-form tests: publishable keys, what got stored, and mail that has settled."""
import asyncio
import time

import pytest

from contactapi.extensions import db
from contactapi.models import Contact, Submission
from tests.smtp import Inbox, settle

SITE = "https://example.com"


class SlowInbox(Inbox):
    """A mail server that takes `delay` seconds (5 by default) to accept each message."""

    def __init__(self, delay=5):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_mail_app(start_smtp, app_mailing_to):
    """An app whose mail server answers DATA only after 5 seconds; its inbox is app.inbox."""
    inbox = SlowInbox()
    app = app_mailing_to(start_smtp(inbox), MAIL_TIMEOUT=10)
    app.inbox = inbox
    yield app
    settle_mail(app)  # let the slow delivery finish before its server goes away


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
    """Send every mail of the app's outbox that is due now (or record its failed attempt)."""
    settle(app)
