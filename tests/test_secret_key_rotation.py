"""Rotating SECRET_KEY as README says (the old key kept in SECRET_KEY_FALLBACKS) keeps what was made under the
old key working: the links already mailed (sign-in, notification unsubscribe, autoresponse stop and confirm),
the suppression and erasure lists, and Idempotency-Key retries."""
from contactapi import keys, magic_links, notifications
from contactapi.autoresponders.models import Autoresponse
from contactapi.extensions import db
from contactapi.models import ApiKey
from tests.autoresponders.conftest import confirm_path, mail_to, submit
# The autoresponder tests' fixtures, used here too:
from tests.autoresponders.conftest import ar_app, make_responder, owner_client, sign_in  # noqa: F401
from tests.keyring.helpers import click


def rotate(app, keep_old=True):
    """A new SECRET_KEY, the old one in SECRET_KEY_FALLBACKS unless keep_old is False."""
    old = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY=f"rotated-{old}", SECRET_KEY_FALLBACKS=[old] if keep_old else [])


def test_an_idempotency_key_retried_across_a_rotation_replays_the_first_answer(app, client, auth):
    headers = {**auth, "Idempotency-Key": "import-42"}
    first = client.post("/v1/contacts", json={"email": "ada@example.com", "name": "Ada"}, headers=headers)
    assert first.status_code == 201
    rotate(app)
    again = client.post("/v1/contacts", json={"email": "ada@example.com", "name": "Ada"}, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    other = client.post("/v1/contacts", json={"email": "bob@example.com"}, headers=headers)
    assert other.status_code == 422  # still the same key for a different request
    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key dropped: the request is no longer recognised
    assert client.post("/v1/contacts", json={"email": "ada@example.com", "name": "Ada"},
                       headers=headers).status_code == 422


def test_a_sign_in_link_mailed_before_a_rotation_signs_in(app, client):
    with app.test_request_context():
        token = magic_links.make("owner@example.com", "sign_in")
        db.session.remove()
    rotate(app)
    signed_in = click(client, f"/link/{token}")
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200


def test_a_notification_unsubscribe_link_mailed_before_a_rotation_still_unsubscribes(app, make_key):
    raw = make_key("owner@example.com", kind="publishable", notify=True)
    with app.app_context():
        key_id = keys.authenticate(raw).key_id
        link = notifications.unsubscribe_url(key_id).split("/unsubscribe/", 1)[1]
        db.session.remove()
    rotate(app)
    done = app.test_client().post(f"/unsubscribe/{link}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with app.app_context():
        assert db.session.get(ApiKey, key_id).notify is False
        db.session.remove()
    rotate(app, keep_old=False)
    assert app.test_client().post(f"/unsubscribe/{link}").status_code == 404


def _forget_the_daily_counts(app):
    """As if a day had passed, for the per-address limit of autoresponses."""
    with app.app_context():
        db.session.query(Autoresponse).delete()
        db.session.commit()


def test_the_suppression_and_erasure_lists_and_stop_links_outlive_a_rotation(ar_app, make_responder, make_key):
    responder = make_responder()
    client = ar_app.test_client()
    for address in ("stopped@example.com", "later@example.com"):
        submit(ar_app, responder.raw, email=address)
    stop_links = {address: mail_to(ar_app, address)[0]["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
                  for address in ("stopped@example.com", "later@example.com")}
    assert client.post(stop_links["stopped@example.com"]).status_code == 200  # stopped before the rotation
    secret = make_key("owner@example.com")
    assert client.delete("/v1/people/erased@example.com", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    rotate(ar_app)
    assert client.post(stop_links["later@example.com"]).status_code == 200  # mailed before, pressed after
    _forget_the_daily_counts(ar_app)
    for address in ("stopped@example.com", "later@example.com", "erased@example.com", "new@example.com"):
        assert submit(ar_app, responder.raw, email=address).status_code == 201
    assert len(mail_to(ar_app, "stopped@example.com")) == 1  # only the one before it was stopped
    assert len(mail_to(ar_app, "later@example.com")) == 1
    assert mail_to(ar_app, "erased@example.com") == []
    assert len(mail_to(ar_app, "new@example.com")) == 1  # autoresponses still go to everyone else


def test_a_confirmation_link_mailed_before_a_rotation_confirms(ar_app, make_responder, make_key):
    responder = make_responder(double_opt_in=True)
    assert submit(ar_app, responder.raw, email="ada@example.com").status_code == 201
    path = confirm_path(mail_to(ar_app, "ada@example.com")[0])
    rotate(ar_app)
    assert ar_app.test_client().post(path).status_code == 200
    api = {"Authorization": f"Bearer {make_key('owner@example.com')}"}
    [contact] = ar_app.test_client().get("/v1/contacts?email=ada@example.com", headers=api).get_json()["data"]
    assert contact["confirmed_at"] is not None
