"""Turnstile, hCaptcha and reCAPTCHA v2/v3 against a local verifier that answers success, failure, a low
score, and nothing at all (a timeout): only a success (with enough score) stores the contact."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from contactapi import challenges, keys, sealed
from contactapi.extensions import db
from contactapi.models import ApiKey, Contact
from tests.ports import free_port

SITE = "https://example.com"
SECRET = "0x4AAAAAAAprovider-secret"
# What the verifier answers for each token the tests post.
ANSWERS = {"good": {"success": True, "score": 0.9}, "bad": {"success": False, "error-codes": ["invalid-input-response"]},
           "low": {"success": True, "score": 0.1}}


class Verifier:
    def __init__(self):
        self.asked = []
        self.url = None


def _handler(verifier):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            verifier.asked.append(form)
            token = form["response"][0]
            if token == "slow":
                time.sleep(6)  # longer than the 3 s deadline
            body = json.dumps(ANSWERS.get(token, ANSWERS["bad"]) if form["secret"] == [SECRET]
                              else {"success": False, "error-codes": ["invalid-input-secret"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def verifier():
    verifier = Verifier()
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(verifier))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    verifier.url = f"http://127.0.0.1:{port}/siteverify"
    yield verifier
    server.shutdown()


@pytest.fixture
def app(make_app, verifier):
    return make_app(TURNSTILE_VERIFY_URL=verifier.url, HCAPTCHA_VERIFY_URL=verifier.url,
                    RECAPTCHA_VERIFY_URL=verifier.url)


def requiring(app, make_key, kind, **settings):
    raw = make_key(kind="publishable")
    with app.app_context():
        principal = keys.authenticate(raw)
        challenges.configure(keys.key_of(principal.account_id, principal.key_id), kind, site_key="site-key",
                             secret=SECRET, **settings)
        db.session.remove()
    return raw


def post(client, raw, field, token):
    return client.post("/v1/contacts", json={"access_key": raw, "email": "ada@example.com", field: token},
                       headers={"Origin": SITE})


def stored(app):
    with app.app_context():
        rows = [(c.email, c.fields) for c in db.session.query(Contact)]
        db.session.remove()
    return rows


@pytest.mark.parametrize("kind, field", [("turnstile", "cf-turnstile-response"), ("hcaptcha", "h-captcha-response"),
                                         ("recaptcha_v2", "g-recaptcha-response")])
def test_a_token_the_provider_accepts_stores_the_contact_without_the_token(app, make_key, verifier, kind, field):
    raw = requiring(app, make_key, kind)
    answer = post(app.test_client(), raw, field, "good")
    assert answer.status_code == 201, answer.get_json()
    assert stored(app) == [("ada@example.com", {})]
    assert verifier.asked == [{"secret": [SECRET], "response": ["good"]}]


@pytest.mark.parametrize("kind, field", [("turnstile", "cf-turnstile-response"), ("hcaptcha", "h-captcha-response")])
@pytest.mark.parametrize("token", ["bad", "", None])
def test_a_refused_or_missing_token_is_refused(app, make_key, kind, field, token):
    raw = requiring(app, make_key, kind)
    answer = post(app.test_client(), raw, field, token)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "challenge_failed")
    assert stored(app) == []


@pytest.mark.parametrize("kind, field", [("turnstile", "cf-turnstile-response"), ("hcaptcha", "h-captcha-response")])
def test_a_verifier_that_does_not_answer_in_time_fails_the_challenge(app, make_key, verifier, kind, field):
    raw = requiring(app, make_key, kind)
    answer = post(app.test_client(), raw, field, "slow")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "challenge_failed")
    assert stored(app) == [] and len(verifier.asked) == 1


@pytest.mark.parametrize("threshold, token, status", [(None, "good", 201), (None, "low", 403), (0.05, "low", 201),
                                                      (0.95, "good", 403)])
def test_recaptcha_v3_needs_the_keys_score(app, make_key, threshold, token, status):
    raw = requiring(app, make_key, "recaptcha_v3", threshold=threshold)
    assert post(app.test_client(), raw, "g-recaptcha-response", token).status_code == status
    assert len(stored(app)) == (status == 201)


def test_the_secret_is_stored_sealed_and_kept_when_not_pasted_again(app, make_key, verifier):
    raw = requiring(app, make_key, "hcaptcha")
    with app.app_context():
        key = db.session.query(ApiKey).filter_by(kind="publishable").one()
        assert SECRET not in key.challenge_secret and sealed.unseal(key.challenge_secret) == SECRET
        challenges.configure(key, "hcaptcha", site_key="other-site-key")  # secret left blank: kept
        assert sealed.unseal(key.challenge_secret) == SECRET and key.challenge_site_key == "other-site-key"
        challenges.configure(key, None)
        assert (key.challenge, key.challenge_secret, key.challenge_site_key) == (None, None, None)
        db.session.remove()
    assert post(app.test_client(), raw, "h-captcha-response", None).status_code == 201  # no challenge any more


@pytest.mark.parametrize("kind, settings, message", [
    ("hcaptcha", {"site_key": "s"}, "secret"), ("turnstile", {"secret": "x"}, "site key"),
    ("recaptcha_v3", {"site_key": "s", "secret": "x", "threshold": 1.5}, "threshold"), ("nope", {}, "one of")])
def test_bad_settings_are_refused(app, make_key, kind, settings, message):
    make_key(kind="publishable")
    with app.app_context():
        key = db.session.query(ApiKey).one()
        with pytest.raises(ValueError, match=message):
            challenges.configure(key, kind, **settings)
        db.session.remove()
