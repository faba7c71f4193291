"""A worker keeps its connection to the mail server for the next mail, and closes it when done."""
import socket
import threading
import time

from aiosmtpd.controller import Controller

from contactapi.deliveries import deadlines, mail, worker
from tests.deliveries.helpers import deliveries_of
from tests.deliveries.test_outbox import _queue_mail
from tests.ports import free_port
from tests.smtp import Inbox, settle


class CountingInbox(Inbox):
    """An inbox that counts the connections (EHLO greetings) and the QUITs it got."""

    def __init__(self):
        super().__init__()
        self.greetings = self.quits = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"


def test_mails_drained_together_share_one_connection(start_smtp, app_mailing_to):
    inbox = CountingInbox()
    app = app_mailing_to(start_smtp(inbox), DELIVERY_BATCH=2)
    for n in range(5):
        _queue_mail(app, f"p{n}@example.com")
    settle(app)
    assert sorted(m["To"] for m in inbox.messages) == [f"p{n}@example.com" for n in range(5)]
    assert inbox.greetings == 1 and inbox.quits == 1  # one connection for three batches, closed after the drain


def test_a_dripping_mail_server_is_cut_off_at_the_send_deadline(app_mailing_to):
    """Each byte comes well within MAIL_TIMEOUT, the greeting never ends: only the deadline stops it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def drip():
        connection, _address = listener.accept()
        with connection:
            try:
                connection.sendall(b"220-")
                while True:
                    connection.sendall(b"x")
                    time.sleep(0.2)
            except OSError:  # the client hung up
                pass

    threading.Thread(target=drip, daemon=True).start()
    try:
        app = app_mailing_to(listener.getsockname()[1], MAIL_TIMEOUT=5, MAIL_SEND_DEADLINE=1)
        _queue_mail(app)
        settle(app)
        [delivery] = deliveries_of(app)
        assert delivery["status"] == "pending" and delivery["attempts"] == 1 and delivery["last_error"]
        assert delivery["lease_token"] is None  # recorded as a failed attempt, waiting for its retry
    finally:
        listener.close()


def test_the_watchdog_hangs_up_only_what_outlives_its_deadline():
    late, early = threading.Event(), threading.Event()
    with deadlines.deadline(60, early.set):
        pass
    with deadlines.deadline(0.05, late.set):
        assert late.wait(10)
    assert not early.is_set()


def test_a_connection_the_server_dropped_is_opened_again_for_the_next_mail(start_smtp, app_mailing_to):
    first, second = CountingInbox(), CountingInbox()
    dropping = Controller(first, hostname="127.0.0.1", port=free_port())
    dropping.start()
    app = app_mailing_to(dropping.port)
    try:
        with app.app_context():
            _queue_mail(app, "a@example.com")
            assert worker.run_once() == 1  # the worker keeps its connection open after this mail
            dropping.stop()  # the server goes away, and the connection with it
            start_smtp(second, port=dropping.port)
            _queue_mail(app, "b@example.com")
            assert worker.run_once() == 1
    finally:
        mail.close_connection()
    assert [m["To"] for m in first.messages] == ["a@example.com"]
    assert [m["To"] for m in second.messages] == ["b@example.com"] and second.greetings == 1
    assert [d["status"] for d in deliveries_of(app)] == ["delivered", "delivered"]
