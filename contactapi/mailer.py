"""Mail from templates (text + HTML): sent now, or after the response in a small thread pool.

With no MAIL_SERVER configured, messages are written to the log instead, so a fresh setup works."""
import logging
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import current_app, render_template
from flask_mail import Connection, Message

log = logging.getLogger(__name__)


class MailError(Exception):
    """The mail server refused the message or could not be reached."""


class _TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout, so a hung mail server cannot hang us."""

    def configure_host(self):
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def build(to, subject, template, **context):
    """A message whose bodies are templates/email/<template>.txt and .html."""
    return Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
    )


def _deliver(message):
    if not current_app.config.get("MAIL_SERVER"):
        log.info("Mail (no MAIL_SERVER, so logged instead of sent)\nTo: %s\nSubject: %s\n\n%s",
                 ", ".join(message.recipients), message.subject, message.body)
        return
    try:
        with _TimedConnection(current_app.extensions["mail"]) as connection:
            connection.send(message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(str(error)) from error


def send(to, subject, template, **context):
    """Send now; MailError when the server refuses or is down."""
    _deliver(build(to, subject, template, **context))


class _Outbox:
    """The mails waiting to be sent in the background: two sending threads, and a bound on the waiting,
    so a hung mail server cannot make queued mail grow without limit in a worker's memory."""

    def __init__(self, capacity):
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
        self.places = threading.BoundedSemaphore(capacity)


def _outbox(app):
    outbox = app.extensions.get("contactapi.outbox")
    if outbox is None:
        outbox = app.extensions["contactapi.outbox"] = _Outbox(app.config["MAIL_QUEUE_LIMIT"])
    return outbox


def _deliver_in_background(app, outbox, message):
    try:
        with app.app_context():
            _deliver(message)
    except MailError:
        log.exception("Could not send mail to %s (%s)", ", ".join(message.recipients), message.subject)
    finally:
        outbox.places.release()


def send_later(to, subject, template, **context):
    """Render now, send after the response; a failure is logged and never reaches the caller.

    Returns the sending's Future, or None when MAIL_QUEUE_LIMIT mails already wait (dropped, logged)."""
    app = current_app._get_current_object()
    message = build(to, subject, template, **context)
    outbox = _outbox(app)
    if not outbox.places.acquire(blocking=False):
        log.error("Mail queue full (%d waiting); not sending to %s (%s)",
                  app.config["MAIL_QUEUE_LIMIT"], to, subject)
        return None
    return outbox.executor.submit(_deliver_in_background, app, outbox, message)
