"""A worker keeps its connection to the mail server for the next mail, and closes it when done."""
from tests.deliveries.test_outbox import _queue_mail
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
