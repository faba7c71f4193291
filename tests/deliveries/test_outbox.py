"""The outbox's own rules: dedicated workers drain it from the command line, a lease keeps a claimed row
from a second worker until it runs out, and an erasure forgets an address's deliveries."""
import logging
import threading

from contactapi import accounts, deliveries, mailer
from contactapi.database import write_transaction
from contactapi.deliveries import outbox, outcomes, worker
from contactapi.extensions import db
from tests.deliveries.helpers import deliveries_of


def _queue_mail(app, to="ada@example.com", account_email="owner@example.com", secret=False):
    with app.test_request_context():
        account = accounts.get_or_create_account(account_email)
        mail = mailer.outgoing(to, "Hello", "sign_in", topic="sign_in", account_id=account.id, link="x", minutes=1,
                               email=to, base_url="", secret=secret)
        with write_transaction() as session:
            deliveries.queue(session, mail)
        return account.id


def test_deliveries_work_once_sends_what_is_due(app, runner, caplog):
    _queue_mail(app)
    with caplog.at_level(logging.INFO, logger="contactapi"):
        result = runner.invoke(args=["deliveries", "work", "--once"])
    assert result.exit_code == 0 and "Attempted 1 deliveries" in result.output
    assert [d["status"] for d in deliveries_of(app)] == ["delivered"]
    assert any("To: ada@example.com" in r.getMessage() for r in caplog.records)


def test_a_claimed_delivery_is_nobody_elses_until_its_lease_ends(app):
    _queue_mail(app)
    with app.app_context():
        first = outbox.claim()
        assert first is not None and outbox.claim() is None  # held: a second worker finds nothing
    with app.app_context():  # the holder died and its lease ran out
        db.session.execute(outbox.deliveries.update().values(next_attempt_at=deliveries_of(app)[0]["created_at"]))
        db.session.commit()
        again = outbox.claim()
        assert again.id == first.id and again.attempts == 2 and again.lease_token != first.lease_token
        outcomes.record_delivered(first, 5)  # the dead holder's late answer changes nothing
        assert deliveries_of(app)[0]["status"] == "pending"
        outcomes.record_delivered(again, 5)
    assert deliveries_of(app)[0]["status"] == "delivered"


def test_forget_address_deletes_only_that_address_in_that_account(app):
    account_id = _queue_mail(app, "ada@example.com")
    _queue_mail(app, "bob@example.com")
    other_account = _queue_mail(app, "ada@example.com", account_email="other@example.com")
    with app.app_context(), write_transaction() as session:
        assert deliveries.forget_address(session, account_id, "ada@example.com") == 1
    left = {(d["account_id"], d["email"]) for d in deliveries_of(app)}
    assert left == {(account_id, "bob@example.com"), (other_account, "ada@example.com")}


def test_a_persons_access_and_erasure_include_their_deliveries(app, client, make_key):
    secret = {"Authorization": f"Bearer {make_key('owner@example.com')}"}
    publishable = make_key("owner@example.com", kind="publishable")
    client.post("/v1/contacts", json={"email": "ada@example.com", "note": "hi"},
                headers={"Authorization": f"Bearer {publishable}", "Origin": "https://example.com"})
    client.post("/v1/contacts", json={"email": "bob@example.com"},
                headers={"Authorization": f"Bearer {publishable}", "Origin": "https://example.com"})
    held = client.get("/v1/people/ada@example.com", headers=secret).get_json()["deliveries"]
    assert [d["type"] for d in held] == ["notification"] and held[0]["payload"]["to"] == "owner@example.com"
    assert held[0]["payload"]["subject"] == "New submission from ada@example.com"
    assert client.delete("/v1/people/ada@example.com", headers=secret).status_code == 200
    assert [d["email"] for d in deliveries_of(app)] == ["bob@example.com"]


def test_a_batch_is_claimed_at_once_and_a_stopping_worker_releases_what_it_did_not_send(make_app):
    app = make_app(DELIVERY_BATCH=3)
    for n in range(4):
        _queue_mail(app, f"p{n}@example.com")
    stop = threading.Event()
    stop.set()  # asked to stop once the batch is claimed: the delivery being sent finishes, the rest go back
    with app.app_context():
        assert worker.run_once(stop) == 1
    rows = deliveries_of(app)
    assert sorted(d["status"] for d in rows) == ["delivered", "pending", "pending", "pending"]
    assert all(d["attempts"] == 0 and d["lease_token"] is None for d in rows if d["status"] == "pending")
    with app.app_context():
        assert worker.drain() == 3  # released rows are due again at once, for any worker
    assert [d["status"] for d in deliveries_of(app)] == ["delivered"] * 4
    assert [d["attempts"] for d in deliveries_of(app)] == [1] * 4


def test_a_batch_is_never_sent_past_its_lease(make_app):
    app = make_app(DELIVERY_BATCH=3, DELIVERY_LEASE=1)  # shorter than one mail's deadline (MAIL_SEND_DEADLINE)
    for n in range(3):
        _queue_mail(app, f"p{n}@example.com")
    with app.app_context():
        assert worker.run_once() == 1  # the first is always attempted; the others would outlive the lease
    rows = deliveries_of(app)
    assert sorted(d["status"] for d in rows) == ["delivered", "pending", "pending"]
    assert all(d["attempts"] == 0 and d["lease_token"] is None for d in rows if d["status"] == "pending")


def test_an_unexpected_error_is_a_failed_attempt_on_the_schedule(make_app, monkeypatch, caplog):
    app = make_app(DELIVERY_RETRY_SCHEDULE=[0, 0])

    def broken(claimed):
        raise RuntimeError("template context has no 'link'")

    monkeypatch.setattr(worker.SENDERS["mail"], "send", broken)
    _queue_mail(app)
    with app.app_context(), caplog.at_level(logging.ERROR, logger="contactapi"):
        assert worker.drain() == 3  # the first attempt and the schedule's two retries, then no more
    [delivery] = deliveries_of(app)
    assert delivery["status"] == "failed" and delivery["attempts"] == 3 and delivery["lease_token"] is None
    assert delivery["last_error"] == "unexpected error: RuntimeError: template context has no 'link'"


def test_a_sealed_mail_under_a_lost_key_fails_at_once(make_app):
    _queue_mail(make_app(), secret=True)  # sealed, as a mail holding a working link is
    rotated = make_app(SECRET_KEY="a-new-secret-key")  # no SECRET_KEY_FALLBACKS
    with rotated.app_context():
        assert worker.drain() == 1
    [delivery] = deliveries_of(rotated)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert "SECRET_KEY_FALLBACKS" in delivery["last_error"]
