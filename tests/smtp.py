"""Real SMTP servers on loopback (aiosmtpd) whose received messages tests can read, and apps mailing them."""
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from contactapi.deliveries import worker
from tests.ports import free_port


_HANDLERS = {}  # port → handler of the servers start_smtp runs, so app_mailing_to can tie an inbox to its app


def settle(app):
    """Send every delivery of the app's outbox that is due now (really: through its SMTP server)."""
    with app.app_context():
        worker.drain()


class Received(list):
    """The messages a server received. Mail goes out through an app's outbox: when the inbox belongs to an
    app (mail_app), reading the list first sends whatever that outbox has due, as its worker would."""

    app = None

    def _settled(self):
        if self.app is not None:
            settle(self.app)

    def __len__(self):
        self._settled()
        return super().__len__()

    def __iter__(self):
        self._settled()
        return super().__iter__()

    def __getitem__(self, index):
        self._settled()
        return super().__getitem__(index)

    def __eq__(self, other):
        self._settled()
        return super().__eq__(other)


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = Received()
        self.raw = []  # each message's bytes as they came over the wire

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.raw.append(envelope.original_content)
        self.messages.append(message)
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text_of(message):
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html_of(message):
        return message.get_body(("html",)).get_content()


@pytest.fixture
def start_smtp():
    """start_smtp(handler, port=None, **controller_options) → the loopback port of a running aiosmtpd with that handler; stopped after."""
    controllers = []

    def _start(handler, port=None, **options):
        port = port or free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        _HANDLERS[port] = handler
        return port

    yield _start
    for controller in controllers:
        controller.stop()
        _HANDLERS.pop(controller.port, None)


@pytest.fixture
def app_mailing_to(make_app):
    """app_mailing_to(port, **overrides) → an app that really sends its mail to 127.0.0.1:port."""

    def _make(port, **overrides):
        # Flask-Mail suppresses sending when TESTING is on; these tests read what a real server received.
        settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False, "MAIL_TIMEOUT": 2}
        app = make_app(**{**settings, **overrides})
        received = getattr(_HANDLERS.get(port), "messages", None)
        if isinstance(received, Received):  # reading that server's inbox sends what this app has due
            received.app = app
        return app

    return _make


@pytest.fixture
def smtp_server(start_smtp):
    """(host, port, inbox) of a running SMTP server that accepts everything."""
    inbox = Inbox()
    return "127.0.0.1", start_smtp(inbox), inbox


@pytest.fixture
def mail_app(app_mailing_to, smtp_server):
    """An app whose mail goes to smtp_server; its inbox is app.inbox."""
    _host, port, inbox = smtp_server
    app = app_mailing_to(port)
    app.inbox = inbox
    return app


@pytest.fixture
def down_mail_app(app_mailing_to):
    """An app whose mail server is down: nothing listens on its port."""
    return app_mailing_to(free_port())
