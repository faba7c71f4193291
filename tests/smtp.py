"""A real SMTP server on loopback (aiosmtpd) whose received messages tests can read."""
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from tests.ports import free_port


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
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
def smtp_server():
    """(host, port, inbox) of a running SMTP server; stopped after the test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, inbox
    controller.stop()


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app whose mail goes to smtp_server; its inbox is app.inbox."""
    host, port, inbox = smtp_server
    app = make_app(MAIL_SERVER=host, MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)  # TESTING would suppress it
    app.inbox = inbox
    return app
