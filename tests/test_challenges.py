"""ALTCHA through the HTTP interface: real challenges from GET /v1/challenge, solved with the `altcha`
package's own solver, posted to the doors; replays, expired, foreign and missing solutions are refused."""
import time

import altcha
import pytest

from contactapi import altcha_proofs, challenges, keys
from contactapi.extensions import db
from contactapi.models import Contact, SpamSubmission, UsedChallenge

SITE = "https://example.com"
FAST = {"ALTCHA_COST": 20}  # a cheap proof of work: these tests solve many


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


def require(app, raw_key, kind="altcha", **settings):
    with app.app_context():
        key = keys.key_of(keys.authenticate(raw_key).account_id, keys.authenticate(raw_key).key_id)
        challenges.configure(key, kind, **settings)
        db.session.remove()


@pytest.fixture
def altcha_key(app, make_key):
    raw = make_key(kind="publishable", domains=["example.com"])
    require(app, raw)
    return raw


def solved(client, raw_key):
    """A payload for a fresh challenge of this key, as the widget would post it in the `altcha` field."""
    answer = client.get(f"/v1/challenge?key={raw_key}", headers={"Origin": SITE})
    assert answer.status_code == 200, answer.get_json()
    challenge = altcha.Challenge.from_dict(answer.get_json())
    solution = altcha.solve_challenge(challenge)
    return altcha.Payload(challenge, solution).to_base64()


def post(client, raw_key, payload, email="ada@example.com", **fields):
    body = {"access_key": raw_key, "email": email, "message": "Hello", **fields}
    if payload is not None:
        body["altcha"] = payload
    return client.post("/v1/contacts", json=body, headers={"Origin": SITE})


def stored(app):
    with app.app_context():
        rows = [(c.email, c.fields) for c in db.session.query(Contact)]
        db.session.remove()
    return rows


def test_a_solved_challenge_stores_the_contact_without_the_solution(app, client, altcha_key):
    answer = post(client, altcha_key, solved(client, altcha_key))
    assert answer.status_code == 201, answer.get_json()
    assert stored(app) == [("ada@example.com", {"message": "Hello"})]


def test_the_challenge_route_speaks_altcha_v2_with_cors_and_expiry(app, client, altcha_key):
    answer = client.get(f"/v1/challenge?key={altcha_key}", headers={"Origin": SITE})
    parameters = answer.get_json()["parameters"]
    assert parameters["algorithm"] == "PBKDF2/SHA-256" and parameters["cost"] == 20
    assert 590 <= parameters["expiresAt"] - time.time() <= 600
    assert answer.headers["Access-Control-Allow-Origin"] == SITE
    assert answer.headers["Cache-Control"] == "no-store"
    elsewhere = client.get(f"/v1/challenge?key={altcha_key}", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in elsewhere.headers


def test_a_replayed_solution_is_refused_and_stores_nothing(app, client, altcha_key):
    payload = solved(client, altcha_key)
    assert post(client, altcha_key, payload).status_code == 201
    replay = post(client, altcha_key, payload, email="bot@example.com")
    assert replay.status_code == 403
    assert replay.get_json()["error"]["code"] == "challenge_failed"
    assert [email for email, _fields in stored(app)] == ["ada@example.com"]


def spam_kept(app):
    with app.app_context():
        kept = db.session.query(SpamSubmission).order_by(SpamSubmission.created_at)
        rows = [(row.email, row.reason, row.detail) for row in kept]
        db.session.remove()
    return rows


def form_post(client, raw_key, payload, **fields):
    """A browser's form post to /f/<key>, as the widget sends it (its `altcha` field kept when the page is
    sent again)."""
    return client.post(f"/f/{raw_key}", data={**fields, "altcha": payload}, headers={"Origin": SITE})


def test_a_post_refused_for_its_fields_leaves_the_solution_for_the_corrected_resend(app, client, altcha_key):
    payload = solved(client, altcha_key)
    typo = form_post(client, altcha_key, payload, email="ada@example")
    assert typo.status_code == 422 and "Please enter a valid email address." in typo.get_data(as_text=True)
    assert stored(app) == [] and spam_kept(app) == []
    fixed = form_post(client, altcha_key, payload, email="ada@example.com")
    assert fixed.status_code == 303, fixed.get_data(as_text=True)
    assert stored(app) == [("ada@example.com", {})]
    replay = form_post(client, altcha_key, payload, email="bot@example.com")
    assert replay.status_code == 403 and "not a robot" in replay.get_data(as_text=True)
    assert stored(app) == [("ada@example.com", {})]
    assert spam_kept(app) == [("bot@example.com", "challenge_failed", "ALTCHA: replayed")]


def test_a_honeypot_hit_is_told_it_worked_whatever_its_fields_and_spends_the_solution(app, client, altcha_key):
    payload = solved(client, altcha_key)
    bot = form_post(client, altcha_key, payload, email="ada@example", _gotcha="yes")
    assert bot.status_code == 303
    assert form_post(client, altcha_key, payload, email="ada@example.com").status_code == 403
    assert stored(app) == []
    assert [reason for _email, reason, _detail in spam_kept(app)] == ["honeypot", "challenge_failed"]


def test_of_two_posts_of_one_solution_at_once_only_the_first_kept_passes(app, client, altcha_key, monkeypatch):
    """Both pass the check before either is kept (it only reads): the one kept second finds the solution spent
    in its own transaction, which stores nothing; it is refused like a replay."""
    payload = solved(client, altcha_key)
    monkeypatch.setattr(altcha_proofs, "_used", lambda signature: False)
    assert post(client, altcha_key, payload).status_code == 201
    second = post(client, altcha_key, payload, email="bot@example.com")
    assert (second.status_code, second.get_json()["error"]["code"]) == (403, "challenge_failed")
    assert [email for email, _fields in stored(app)] == ["ada@example.com"]
    assert spam_kept(app) == [("bot@example.com", "challenge_failed", "ALTCHA: replayed")]


def test_an_expired_solution_is_refused(make_app, make_key, client):
    app = make_app(ALTCHA_EXPIRY=1, **FAST)
    client = app.test_client()
    raw = make_key(kind="publishable")
    require(app, raw)
    payload = solved(client, raw)
    time.sleep(2.1)  # expiresAt is in whole seconds
    answer = post(client, raw, payload)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "challenge_failed")
    assert stored(app) == []


@pytest.mark.parametrize("payload", [None, "", "not base64", "eyJ9", altcha.Payload(
    altcha.Challenge(altcha.ChallengeParameters("SHA-256", "00", "00", 1), "0" * 64),
    altcha.Solution(0, "00")).to_base64()])
def test_missing_or_forged_solutions_are_refused(app, client, altcha_key, payload):
    answer = post(client, altcha_key, payload)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "challenge_failed")
    assert stored(app) == []


def test_a_solution_for_another_key_is_refused(app, client, altcha_key, make_key):
    other = make_key(email="other@example.com", kind="publishable")
    require(app, other)
    answer = post(client, altcha_key, solved(client, other))
    assert answer.status_code == 403 and stored(app) == []


def test_a_wrong_solution_is_refused(app, client, altcha_key):
    answer = client.get(f"/v1/challenge?key={altcha_key}")
    challenge = altcha.Challenge.from_dict(answer.get_json())
    wrong = altcha.Payload(challenge, altcha.Solution(counter=1, derived_key="00" * 32)).to_base64()
    assert post(client, altcha_key, wrong).status_code == 403 and stored(app) == []


def test_secret_keys_are_never_asked_for_a_challenge(app, client, altcha_key, auth):
    answer = client.post("/v1/contacts", json={"email": "b@example.com"}, headers=auth)
    assert answer.status_code == 201 and stored(app) == [("b@example.com", {})]


def test_used_challenges_are_pruned_once_expired(make_app, make_key):
    app = make_app(ALTCHA_EXPIRY=1, **FAST)
    client = app.test_client()
    raw = make_key(kind="publishable")
    require(app, raw)
    assert post(client, raw, solved(client, raw)).status_code == 201
    time.sleep(2.1)
    assert post(client, raw, solved(client, raw), email="b@example.com").status_code == 201
    with app.app_context():
        assert db.session.query(UsedChallenge).count() == 1  # the first one is gone
        db.session.remove()


@pytest.mark.parametrize("query, status, code", [
    ("", 401, "missing_api_key"), ("?key=ck_pub_nope", 401, "invalid_api_key")])
def test_the_challenge_route_refuses_unknown_keys(client, query, status, code):
    answer = client.get(f"/v1/challenge{query}")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (status, code)


def test_the_challenge_route_refuses_secret_keys_and_keys_without_altcha(client, secret_key, make_key):
    assert client.get(f"/v1/challenge?key={secret_key}").get_json()["error"]["code"] == "secret_key_in_browser"
    plain = make_key(kind="publishable")
    answer = client.get(f"/v1/challenge?key={plain}")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (404, "not_found")


def test_the_challenge_route_is_rate_limited_per_client(make_app, altcha_key):
    client = make_app(RATELIMIT_PUBLIC_IP="2/minute", **FAST).test_client()
    statuses = [client.get(f"/v1/challenge?key={altcha_key}").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("door, extra, status, shape", [
    ("/f/{key}", {}, 403, lambda body: body["errors"][0]["code"] == "BLOCKED"),
    ("/submit", {"access_key": "{key}"}, 403, lambda body: body["success"] is False),
    ("/api/contact-api/", {"access_key": "{key}"}, 400, lambda body: body["success"] is False),
])
def test_each_door_answers_a_failed_challenge_in_its_own_shape(app, client, altcha_key, door, extra, status, shape):
    body = {"email": "a@example.com", "message": "Hi", "altcha": "forged",
            **{name: value.format(key=altcha_key) for name, value in extra.items()}}
    answer = client.post(door.format(key=altcha_key), json=body,
                         headers={"Origin": SITE, "Accept": "application/json"})
    assert answer.status_code == status and shape(answer.get_json()), answer.get_json()
    assert stored(app) == []


def test_a_browser_form_post_gets_the_error_page(app, client, altcha_key):
    answer = client.post("/v1/contacts", data={"access_key": altcha_key, "email": "a@example.com"},
                         headers={"Origin": SITE, "Accept": "text/html"})
    assert answer.status_code == 403 and b"not a robot" in answer.data
    assert stored(app) == []


def test_a_solved_form_post_passes_every_door(app, client, altcha_key):
    answer = client.post(f"/f/{altcha_key}", data={"email": "f@example.com", "altcha": solved(client, altcha_key)},
                         headers={"Origin": SITE, "Accept": "application/json"})
    assert answer.status_code == 200, answer.get_json()
    assert stored(app) == [("f@example.com", {})]


def test_a_challenge_made_before_a_secret_key_rotation_is_still_accepted(make_app, make_key):
    before = make_app(SECRET_KEY="the-old-secret-key", **FAST)
    raw = make_key(kind="publishable")
    require(before, raw)
    payload = solved(before.test_client(), raw)
    rotated = make_app(SECRET_KEY="the-new-secret-key", SECRET_KEY_FALLBACKS=["the-old-secret-key"], **FAST)
    assert post(rotated.test_client(), raw, payload).status_code == 201
    forgotten = make_app(SECRET_KEY="the-new-secret-key", **FAST)
    assert post(forgotten.test_client(), raw, solved(before.test_client(), raw), email="b@example.com").status_code == 403
