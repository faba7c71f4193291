"""Key-request and sign-in mail goes through the outbox: the request never waits on the mail server, the
answer never depends on it (nor on whether the address has an account), and a mail that cannot go yet is
retried with its link still working, or finally logged as failed; never a 500."""
import logging
import socket

import pytest

from contactapi.deliveries import outbox
from contactapi.extensions import db
from contactapi.models import Account, ApiKey, MagicLink
from tests.deliveries.helpers import deliveries_of
from tests.keyring.helpers import click, csrf_from, link_in, table_count
from tests.ports import free_port
from tests.smtp import Inbox, settle


@pytest.fixture(params=["down", "refusing"])
def broken_mail_app(request):
    return request.getfixturevalue(f"{request.param}_mail_app")


@pytest.mark.parametrize("request_type", ["generateKey", "getKeys"])
def test_json_requests_get_the_usual_answer_and_the_mail_waits(broken_mail_app, make_key, request_type, caplog):
    make_key("existing@example.com", "publishable")
    client = broken_mail_app.test_client()
    answers = []
    for email in ("new@example.com", "existing@example.com"):
        response = client.post("/", json={"email": email, "requestType": request_type})
        assert response.status_code == 200
        answers.append(response.get_json()["message"].replace(email, "E"))
    assert answers[0] == answers[1]
    queued = deliveries_of(broken_mail_app)
    assert [d["email"] for d in queued] == ["new@example.com", "existing@example.com"]
    assert all(d["priority"] == 0 and d["status"] == "pending" for d in queued)
    assert all("/link/" not in str(d["payload"]) for d in queued)  # the stored link is sealed
    assert table_count(broken_mail_app, MagicLink) == 2
    assert table_count(broken_mail_app, Account) == 1 and table_count(broken_mail_app, ApiKey) == 1
    with caplog.at_level(logging.WARNING, logger="contactapi"):
        settle(broken_mail_app)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("new@example.com" in line for line in logged)


def test_the_form_and_the_sign_in_page_answer_at_once(broken_mail_app):
    client = broken_mail_app.test_client()
    page = client.get("/")
    form = {"csrf_token": csrf_from(page), "email": "ada@example.com", "request_type": "generateKey",
            "kind": "publishable"}
    for path in ("/", "/signin"):
        response = client.post(path, data=form)
        assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    assert len(deliveries_of(broken_mail_app, email="ada@example.com")) == 2


def test_a_hung_mail_server_is_never_touched_by_the_request(app_mailing_to):
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)  # accepts connections into its backlog and never says a word
    try:
        app = app_mailing_to(hung.getsockname()[1], MAIL_TIMEOUT=30)
        response = app.test_client().post("/", json={"email": "ada@example.com"})
        assert response.status_code == 200
        hung.setblocking(False)
        with pytest.raises(BlockingIOError):
            hung.accept()  # nobody connected to the mail server during the request
        assert [d["status"] for d in deliveries_of(app)] == ["pending"]
    finally:
        hung.close()


def test_the_link_arrives_and_works_when_the_server_is_back(start_smtp, app_mailing_to):
    port = free_port()
    app = app_mailing_to(port)
    client = app.test_client()
    assert client.post("/signin", data={"csrf_token": csrf_from(client.get("/signin")),
                                        "email": "ada@example.com"}).status_code == 200
    settle(app)  # the server is down: the attempt fails and waits for its retry
    inbox = Inbox()
    start_smtp(inbox, port=port)
    [waiting] = deliveries_of(app)
    assert waiting["attempts"] == 1 and waiting["status"] == "pending"
    with app.app_context():  # the retry falls due (the wait is shortened here); the link it carries still works
        db.session.execute(outbox.deliveries.update().values(next_attempt_at=waiting["created_at"]))
        db.session.commit()
    settle(app)
    response = click(client, link_in(inbox, "ada@example.com"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard")


@pytest.mark.parametrize("smtputf8", [True, False])
def test_an_internationalised_address_goes_out_or_fails_logged(start_smtp, app_mailing_to, smtputf8, caplog):
    inbox = Inbox()
    app = app_mailing_to(start_smtp(inbox, enable_SMTPUTF8=smtputf8))
    response = app.test_client().post("/", json={"email": "ü@exämple.com"})
    assert response.status_code == 200 and response.get_json()["success"] is True
    with caplog.at_level(logging.WARNING, logger="contactapi"):
        settle(app)
    [delivery] = deliveries_of(app)
    if smtputf8:
        [mail] = inbox.messages
        assert mail["To"] == "ü@exämple.com" and "/link/" in Inbox.text_of(mail)
        assert delivery["status"] == "delivered"
    else:
        assert inbox.messages == []
        assert delivery["status"] == "failed" and "SMTPUTF8" in delivery["last_error"]
        assert any("ü@exämple.com" in r.getMessage() and "giving up" in r.getMessage() for r in caplog.records)
