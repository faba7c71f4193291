"""Idempotency-Key on /v1 writes: replays, reuse with another body, concurrency, expiry, per API key."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from contactapi import idempotency, people, storage
from contactapi.extensions import db
from contactapi.models import Account, Contact, IdempotentRequest, Submission, utcnow


def keyed(auth, key):
    return {**auth, "Idempotency-Key": key}


def stored_counts(app):
    """(contacts, submissions, idempotent requests) as stored."""
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                       for model in (Contact, Submission, IdempotentRequest))
        db.session.remove()
    return counts


def test_a_retried_create_replays_the_first_answer_without_a_second_submission(app, client, auth):
    first = client.post("/v1/contacts", json={"email": "a@example.com", "n": 1}, headers=keyed(auth, "k-1"))
    again = client.post("/v1/contacts", json={"email": "a@example.com", "n": 1}, headers=keyed(auth, "k-1"))
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data() and again.mimetype == "application/json"
    assert stored_counts(app) == (1, 1, 1)
    # Without the header the same body is a new submission, as before.
    assert client.post("/v1/contacts", json={"email": "a@example.com", "n": 1}, headers=auth).status_code == 200
    assert stored_counts(app)[:2] == (1, 2)


def test_patch_and_delete_replay_too(app, client, auth):
    contact = client.post("/v1/contacts", json={"email": "p@example.com"}, headers=auth).get_json()
    url = f"/v1/contacts/{contact['id']}"
    patched = client.patch(url, json={"n": 1}, headers=keyed(auth, "patch-1"))
    client.patch(url, json={"n": 2}, headers=auth)  # a later change by someone else
    replayed = client.patch(url, json={"n": 1}, headers=keyed(auth, "patch-1"))
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.get_json() == patched.get_json()
    assert client.get(url, headers=auth).get_json()["n"] == 2  # the replay wrote nothing
    deleted = client.delete(url, headers=keyed(auth, "delete-1"))
    again = client.delete(url, headers=keyed(auth, "delete-1"))
    assert deleted.status_code == again.status_code == 200 and again.get_json() == {"id": contact["id"], "deleted": True}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert client.delete(url, headers=auth).status_code == 404


def test_the_same_key_with_another_body_or_path_is_refused(app, client, auth):
    assert client.post("/v1/contacts", json={"email": "a@example.com"}, headers=keyed(auth, "k")).status_code == 201
    reused = client.post("/v1/contacts", json={"email": "b@example.com"}, headers=keyed(auth, "k"))
    assert reused.status_code == 422 and reused.get_json()["error"]["code"] == "idempotency_key_reused"
    other_door = client.delete("/v1/people/a@example.com", headers=keyed(auth, "k"))
    assert other_door.status_code == 422
    assert stored_counts(app) == (1, 1, 1)  # b@ was never written, a@ never erased


def test_keys_belong_to_one_api_key(app, client, auth, make_key):
    other = {"Authorization": f"Bearer {make_key('other@example.com')}"}
    same_account = {"Authorization": f"Bearer {make_key()}"}
    body = {"email": "a@example.com"}
    assert client.post("/v1/contacts", json=body, headers=keyed(auth, "shared")).status_code == 201
    for headers in (other, same_account):
        answer = client.post("/v1/contacts", json=body, headers=keyed(headers, "shared"))
        assert answer.status_code in (200, 201) and "Idempotent-Replayed" not in answer.headers
    assert stored_counts(app) == (2, 3, 3)  # two accounts' contacts; every key did its own work once


def test_refused_requests_leave_the_key_free(app, client, auth):
    bad = client.post("/v1/contacts", json={"email": "not an address"}, headers=keyed(auth, "k"))
    assert bad.status_code == 400
    fixed = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=keyed(auth, "k"))
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


@pytest.mark.parametrize("value", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_a_400(client, auth, value):
    answer = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=keyed(auth, value))
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_idempotency_key"


def test_the_key_needs_the_api_key_in_the_authorization_header(client, make_key):
    body = {"email": "a@example.com", "access_key": make_key(kind="publishable")}
    answer = client.post("/v1/contacts", json=body, headers={"Idempotency-Key": "k"})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "idempotency_key_needs_bearer"
    bad_key = client.post("/v1/contacts", json=body, headers={"Idempotency-Key": "k", "Authorization": "Bearer nope"})
    assert bad_key.status_code == 401  # the view's own answer


def test_publishable_keys_replay_their_own_answer(app, client, make_key):
    headers = {"Authorization": f"Bearer {make_key(kind='publishable')}", "Idempotency-Key": "form-1"}
    first = client.post("/v1/contacts", json={"email": "a@example.com", "m": "hi"}, headers=headers)
    again = client.post("/v1/contacts", json={"email": "a@example.com", "m": "hi"}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert stored_counts(app)[:2] == (1, 1)


def test_a_concurrent_request_with_the_key_gets_409_while_the_first_works(app, auth, monkeypatch):
    """Two real threads: the first holds the key inside the view; the second arrives meanwhile."""
    entered, finish = threading.Event(), threading.Event()
    real_upsert = storage.upsert

    def slow_upsert(*args, **kwargs):
        entered.set()
        assert finish.wait(30)
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(storage, "upsert", slow_upsert)
    body, headers = {"email": "slow@example.com"}, keyed(auth, "busy")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(lambda: app.test_client().post("/v1/contacts", json=body, headers=headers))
        assert entered.wait(30)
        second = app.test_client().post("/v1/contacts", json=body, headers=headers)
        assert second.status_code == 409 and second.get_json()["error"]["code"] == "idempotency_key_in_use"
        finish.set()
        assert first.result(30).status_code == 201
    retry = app.test_client().post("/v1/contacts", json=body, headers=headers)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert stored_counts(app) == (1, 1, 1)


def test_a_key_held_by_a_dead_worker_is_taken_over_once_its_lease_lapses(app, client, auth, monkeypatch):
    def dies(*args, **kwargs):
        raise SystemExit("worker killed")  # as a killed worker: no answer, no release

    from contactapi import idempotency
    monkeypatch.setattr(idempotency, "release", lambda claim: None)
    monkeypatch.setattr(storage, "upsert", dies)
    body, headers = {"email": "a@example.com"}, keyed(auth, "orphan")
    with pytest.raises(SystemExit):
        client.post("/v1/contacts", json=body, headers=headers)
    monkeypatch.undo()
    assert client.post("/v1/contacts", json=body, headers=headers).status_code == 409  # lease still running
    with app.app_context():
        db.session.execute(update(IdempotentRequest).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    taken_over = client.post("/v1/contacts", json=body, headers=headers)
    assert taken_over.status_code == 201 and "Idempotent-Replayed" not in taken_over.headers
    assert client.post("/v1/contacts", json=body, headers=headers).headers["Idempotent-Replayed"] == "true"
    assert stored_counts(app) == (1, 1, 1)


def test_answers_expire_after_24_hours_and_are_pruned(app, client, auth, runner):
    body = {"email": "a@example.com"}
    client.post("/v1/contacts", json=body, headers=keyed(auth, "old"))
    client.post("/v1/contacts", json=body, headers=keyed(auth, "older"))
    with app.app_context():
        db.session.execute(update(IdempotentRequest).values(created_at=utcnow() - timedelta(hours=24, seconds=1)))
        db.session.commit()
    result = runner.invoke(args=["idempotency", "prune"])
    assert result.exit_code == 0 and "Deleted 2 " in result.output
    fresh = client.post("/v1/contacts", json={"email": "a@example.com", "n": 2}, headers=keyed(auth, "old"))
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers  # a new request, not a reuse
    assert stored_counts(app) == (1, 3, 1)


def test_an_accounts_next_keyed_write_prunes_its_expired_answers(app, client, auth):
    client.post("/v1/contacts", json={"email": "a@example.com"}, headers=keyed(auth, "one"))
    with app.app_context():
        db.session.execute(update(IdempotentRequest).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    client.post("/v1/contacts", json={"email": "b@example.com"}, headers=keyed(auth, "two"))
    with app.app_context():
        assert db.session.scalars(select(IdempotentRequest.idempotency_key)).all() == ["two"]


def test_replays_count_against_the_rate_limit(make_app, make_key):
    client = make_app(RATELIMIT_SECRET_KEY="2/minute").test_client()
    headers = {"Authorization": f"Bearer {make_key()}", "Idempotency-Key": "k"}
    assert client.post("/v1/contacts", json={"email": "a@example.com"}, headers=headers).status_code == 201
    assert client.post("/v1/contacts", json={"email": "a@example.com"}, headers=headers).status_code == 201
    assert client.post("/v1/contacts", json={"email": "a@example.com"}, headers=headers).status_code == 429


def test_one_key_sent_by_many_gunicorn_workers_at_once_is_done_once(gunicorn, secret_key):
    base = gunicorn(workers=4)
    headers = {"Authorization": f"Bearer {secret_key}", "Idempotency-Key": "storm"}
    barrier = threading.Barrier(12)

    def post(_):
        barrier.wait()
        return requests.post(f"{base}/v1/contacts", json={"email": "storm@example.com"}, headers=headers, timeout=60)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(post, range(12)))
    did_the_work = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" not in a.headers]
    assert len(did_the_work) == 1
    for answer in answers:
        assert answer.status_code == 409 or answer.json() == did_the_work[0].json(), answer.text
    plain = {"Authorization": f"Bearer {secret_key}"}
    contact = requests.get(f"{base}/v1/contacts", headers=plain, timeout=10).json()["data"]
    assert len(contact) == 1
    submissions = requests.get(f"{base}/v1/contacts/{contact[0]['id']}/submissions", headers=plain, timeout=10)
    assert submissions.json()["total"] == 1


def test_a_form_body_with_a_key_is_read_intact_and_replayed(app, client, make_key):
    headers = {"Authorization": f"Bearer {make_key(kind='publishable')}", "Idempotency-Key": "form",
               "Accept": "application/json"}
    form = {"email": "f@example.com", "message": "hello"}
    first = client.post("/v1/contacts", data=form, headers=headers)
    again = client.post("/v1/contacts", data=form, headers=headers)
    assert first.status_code == 201 and first.get_json()["message"] == "hello"
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert stored_counts(app)[:2] == (1, 1)


def _webhook_rows(app):
    """{id: (url, events, status)} of every stored webhook, and the stored idempotent answers' bodies."""
    from contactapi.deliveries.models import Webhook
    with app.app_context():
        hooks = {w.id: (w.url, w.events, w.status) for w in db.session.scalars(select(Webhook))}
        bodies = list(db.session.scalars(select(IdempotentRequest.body)))
        db.session.remove()
    return hooks, bodies


def test_a_retried_webhook_create_makes_one_webhook_and_each_event_goes_once(make_app, make_key, start_receiver):
    from tests.deliveries.helpers import deliveries_of
    from tests.smtp import settle
    app = make_app(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)
    client, auth = app.test_client(), {"Authorization": f"Bearer {make_key()}"}
    receiver = start_receiver()
    body = {"url": receiver.url, "events": ["contact.created"]}
    first = client.post("/v1/webhooks", json=body, headers=keyed(auth, "hook-1"))
    again = client.post("/v1/webhooks", json=body, headers=keyed(auth, "hook-1"))
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()  # the secret too: the retry lost the first answer
    hooks, [stored] = _webhook_rows(app)
    assert list(hooks) == [first.get_json()["id"]]
    assert first.get_json()["secret"] not in stored  # the answer is kept sealed, never the secret in the clear
    client.post("/v1/contacts", json={"email": "a@example.com"}, headers=auth)
    settle(app)
    assert len(receiver.requests) == 1 and len(deliveries_of(app)) == 1
    # Another API key of the account with the same Idempotency-Key does its own work (keys are per API key).
    other = client.post("/v1/webhooks", json=body, headers=keyed({"Authorization": f"Bearer {make_key()}"}, "hook-1"))
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert other.get_json()["secret"] != first.get_json()["secret"]


def test_webhook_patch_rotate_retry_and_delete_replay_without_a_second_write(app, client, auth):
    from contactapi import sealed
    from contactapi.deliveries.models import Webhook
    hook = client.post("/v1/webhooks", json={"url": "https://hooks.example.com/in", "events": ["contact.created"]},
                       headers=auth).get_json()
    url = f"/v1/webhooks/{hook['id']}"
    rotated = client.post(f"{url}/rotate-secret", headers=keyed(auth, "rotate-1"))
    again = client.post(f"{url}/rotate-secret", headers=keyed(auth, "rotate-1"))
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == rotated.get_json()
    with app.app_context():  # rotated once: the new secret signs, the creation's is the previous one
        row = db.session.get(Webhook, hook["id"])
        assert sealed.unseal(row.secret) == rotated.get_json()["secret"]
        assert sealed.unseal(row.previous_secret) == hook["secret"]
        db.session.remove()
    assert all(rotated.get_json()["secret"] not in body for body in _webhook_rows(app)[1])
    patched = client.patch(url, json={"description": "CRM"}, headers=keyed(auth, "patch-1"))
    client.patch(url, json={"description": "later"}, headers=auth)
    replayed = client.patch(url, json={"description": "CRM"}, headers=keyed(auth, "patch-1"))
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.get_json() == patched.get_json()
    assert "secret" not in patched.get_json()
    assert client.get(url, headers=auth).get_json()["description"] == "later"  # the replay wrote nothing
    client.post("/v1/contacts", json={"email": "a@example.com"}, headers=auth)
    [delivery] = client.get(f"{url}/deliveries", headers=auth).get_json()["data"]
    retry = f"{url}/deliveries/{delivery['id']}/retry"
    queued = client.post(retry, headers=keyed(auth, "retry-1"))
    assert queued.status_code == 200 and client.post(retry, headers=keyed(auth, "retry-1")).get_json() == queued.get_json()
    deleted = client.delete(url, headers=keyed(auth, "delete-1"))
    assert client.delete(url, headers=keyed(auth, "delete-1")).get_json() == deleted.get_json() == {
        "id": hook["id"], "deleted": True}
    assert _webhook_rows(app)[0] == {}


@pytest.mark.parametrize("erased, kept", [("late@example.com", False), ("someone.else@example.com", True)])
def test_an_answer_whose_address_was_erased_after_the_work_is_not_kept(app, client, auth, monkeypatch, erased, kept):
    """The work committed, then an erasure ran (on another worker) before the answer was stored: an answer
    holding the erased address is not kept, so it is never replayed; the key is forgotten, as the erasure
    forgets the answers it finds. An erasure of another address changes nothing."""
    store_answer = idempotency.complete

    def erasure_first(*args, **kwargs):
        with app.app_context():
            account_id = db.session.scalar(select(Account.id))
            people.erase(account_id, erased, "test")
            db.session.remove()
        return store_answer(*args, **kwargs)

    monkeypatch.setattr(idempotency, "complete", erasure_first)
    posted = client.post("/v1/contacts", json={"email": "late@example.com", "n": 1}, headers=keyed(auth, "k-late"))
    assert posted.status_code == 201
    with app.app_context():
        answers = db.session.scalars(select(IdempotentRequest.body)).all()
        db.session.remove()
    assert answers == ([posted.get_data(as_text=True)] if kept else [])
