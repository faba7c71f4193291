"""Sending one queued mail: every body quoted-printable (no line over 998 octets, whatever was submitted),
header values on one line, SMTPUTF8 when an address needs it and the server offers it.

With no MAIL_SERVER configured, mail is written to the log instead, so a fresh setup works."""
import logging
import secrets
import smtplib
import socket
import threading
import time
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from types import SimpleNamespace

from flask import current_app

from ..mailer import message_of, one_line
from .deadlines import deadline
from .outbox import DeliveryFailed

log = logging.getLogger(__name__)
KEEP_IDLE = 15  # seconds a worker keeps an unused connection to the mail server open
MESSAGES_PER_CONNECTION = 100  # then a new one (servers limit how many a connection may send)
_threads = threading.local()


def _slot():
    """This thread's place for its open connection (a plain object: a watchdog thread can read it)."""
    slot = getattr(_threads, "slot", None)
    if slot is None:
        slot = _threads.slot = SimpleNamespace(connection=None)
    return slot


@dataclass
class _Connection:
    """An open SMTP connection of one worker thread, for the settings it was opened with."""

    smtp: smtplib.SMTP
    settings: tuple
    sent: int = 0
    used: float = field(default_factory=time.monotonic)


def _settings(config):
    return tuple(config[name] for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_SSL", "MAIL_USE_TLS",
                                           "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_TIMEOUT"))


def close_connection(idle_for=0):
    """Close this thread's connection to the mail server (only if unused for idle_for seconds)."""
    slot = _slot()
    held = slot.connection
    if held is None or time.monotonic() - held.used < idle_for:
        return
    slot.connection = None
    try:
        held.smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        held.smtp.close()


def _deliverable(address):
    """An ASCII local part keeps working on servers without SMTPUTF8 when its domain is spelled xn--."""
    local, _, domain = address.rpartition("@")
    if local.isascii() and not domain.isascii():
        try:
            return f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            return address
    return address


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, building each header name's class once. HeaderRegistry makes a new class
    every time a header is set or counted, which was a quarter of the CPU spent composing a mail."""

    def __init__(self):
        super().__init__()
        self._built = {}

    def __getitem__(self, name):
        name = name.lower()
        if name not in self._built:
            self._built[name] = super().__getitem__(name)
        return self._built[name]


class _Policy(EmailPolicy):
    """SMTP's policy, except that the List-Unsubscribe headers are written on one line as they are.

    RFC 2369 lets List-Unsubscribe fold only at whitespace, and a URI has none: folded to 78 characters it
    became RFC 2047 encoded-words, which mail clients do not read as a URI, so their one-click unsubscribe
    (RFC 8058) never showed. RFC 5322 allows 998 characters on a line."""

    URI_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})

    def _fold(self, name, value, refold_binary=False):
        text = str(value)
        if (name.lower() in self.URI_HEADERS and text.isascii() and "\r" not in text and "\n" not in text
                and len(name) + len(text) + 2 <= 998):
            return f"{name}: {text}{self.linesep}"
        return super()._fold(name, value, refold_binary)


_POLICY = _Policy(linesep="\r\n", header_factory=_HeaderClasses())  # email.policy.SMTP's settings


def compose(message, sender):
    """The EmailMessage for a stored message: multipart/alternative, both parts quoted-printable."""
    mail = EmailMessage(policy=_POLICY)
    mail["Subject"] = one_line(message["subject"])
    if message.get("from_name"):
        display, address = parseaddr(sender)
        sender = formataddr((f"{one_line(message['from_name'], 80)} via {display or 'contactapi'}", address))
    mail["From"] = sender
    mail["To"] = _deliverable(message["to"])
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    for name, value in message.get("headers", {}).items():
        mail[name] = one_line(value, 2000)
    mail.set_content(message["text"], cte="quoted-printable")
    if message.get("html"):
        # Both bodies are quoted-printable, where "=" always starts a hex escape or a soft line break, so a
        # boundary holding "=_" never occurs in them: no need for the generator's search (a regex compiled
        # per mail) for one that does not.
        mail.make_alternative(boundary=f"=_{secrets.token_hex(16)}")
        mail.add_alternative(message["html"], subtype="html", cte="quoted-printable")
    return mail


def _hang_up(slot):
    connection = slot.connection
    sock = connection.smtp.sock if connection is not None else None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the sending thread from a blocked read
        except OSError:
            pass


def _failure(error):
    """A DeliveryFailed saying whether retrying can help (5xx answers and missing SMTPUTF8 cannot)."""
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return DeliveryFailed(f"the mail server does not offer SMTPUTF8, needed for this address: {error}", True)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return DeliveryFailed(f"recipient refused: {error.recipients}", all(code >= 500 for code in codes))
    if isinstance(error, smtplib.SMTPAuthenticationError):  # our configuration, fixable: keep retrying
        return DeliveryFailed(f"mail server login failed: {error}")
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return DeliveryFailed(f"{error.smtp_code} {text}", error.smtp_code >= 500)
    return DeliveryFailed(f"{type(error).__name__}: {error}")


def _open(config):
    smtp = (smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP)(timeout=config["MAIL_TIMEOUT"])
    held = _slot().connection = _Connection(smtp, _settings(config))  # held before connecting: the deadline ends it
    smtp.connect(config["MAIL_SERVER"], config["MAIL_PORT"])
    if config["MAIL_USE_TLS"]:
        smtp.starttls()
    if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return held


def _connection(config, ends):
    """This thread's connection to the mail server, reset for a new message; opened when there is none usable
    (another server, too many messages sent, or closed by the server while it waited), unless the send's
    deadline (ends, monotonic) has passed: the watchdog would not cut a new connection off again."""
    held = _slot().connection
    if held is not None and (held.settings != _settings(config) or held.sent >= MESSAGES_PER_CONNECTION):
        close_connection()
        held = None
    if held is not None:
        try:
            held.smtp.rset()
            return held
        except (smtplib.SMTPException, OSError):
            close_connection()
    if time.monotonic() >= ends:
        raise TimeoutError("the mail server took longer than MAIL_SEND_DEADLINE")
    return _open(config)


def _send_smtp(mail):
    """Send on this thread's connection, kept open for the next mail; any error closes it."""
    config = current_app.config
    slot = _slot()
    # MAIL_TIMEOUT bounds each read; a server dripping a byte at a time is cut off at the deadline.
    seconds = config["MAIL_SEND_DEADLINE"]
    try:
        with deadline(seconds, lambda: _hang_up(slot)):
            held = _connection(config, time.monotonic() + seconds)
            held.smtp.send_message(mail)
        held.sent, held.used = held.sent + 1, time.monotonic()
    except (smtplib.SMTPException, OSError) as error:
        close_connection()
        raise _failure(error) from error


def send(claimed):
    """Send a mail delivery now; DeliveryFailed if the server refused it or could not be reached."""
    message = message_of(claimed.payload)
    if not current_app.config.get("MAIL_SERVER"):
        log.info("Mail (no MAIL_SERVER, so logged instead of sent)\nTo: %s\nSubject: %s\n\n%s",
                 message["to"], message["subject"], message["text"])
        return None
    _send_smtp(compose(message, current_app.config["MAIL_DEFAULT_SENDER"]))
    return None


def describe(claimed):
    """How the log names this delivery (no secret: the address and subject only)."""
    message = claimed.payload
    return f"mail to {message.get('to')} ({message.get('subject', claimed.topic)})"
