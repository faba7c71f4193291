"""Fixtures of the autoresponder tests: an app with AUTORESPONDERS on that really mails a local SMTP server,
publishable keys whose owner set up an autoresponder through the dashboard, and posts from a form."""
import re
from dataclasses import dataclass

import altcha
import pytest

from contactapi import challenges, keys
from contactapi.extensions import db
from contactapi.models import ApiKey
from tests.keyring.conftest import sign_in  # noqa: F401  (a fixture these tests use)
from tests.keyring.helpers import post_form
from tests.smtp import Inbox

SITE = "https://example.com"
CONFIRM_LINK = re.compile(r"https?://[^\s\"<>]+(/confirm/[A-Za-z0-9._-]+)")


@dataclass
class Responder:
    raw: str       # the publishable key
    key_id: str


def require_challenge(app, key_id):
    """The key now requires an ALTCHA challenge (what its dashboard form does)."""
    with app.app_context():
        key = db.session.get(ApiKey, key_id)
        challenges.configure(key, "altcha")
        db.session.remove()


def solved_altcha(get, raw_key):
    """The `altcha` field for a fresh challenge of this key, solved with the altcha package's own solver
    (get: a GET that returns (status, JSON)); None when the key requires no challenge."""
    status, body = get(f"/v1/challenge?key={raw_key}")
    if status != 200:
        return None
    challenge = altcha.Challenge.from_dict(body)
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()


@pytest.fixture
def ar_app(app_mailing_to, smtp_server):
    """An app with autoresponders on, mailing smtp_server; its inbox is ar_app.inbox."""
    _host, port, inbox = smtp_server
    app = app_mailing_to(port, AUTORESPONDERS=True, ALTCHA_COST=20)  # a cheap proof of work: many are solved
    app.inbox = inbox
    return app


@pytest.fixture
def owner_client(ar_app, sign_in):
    return sign_in(ar_app.test_client(), "owner@example.com")


@pytest.fixture
def make_responder(ar_app, make_key, owner_client):
    """make_responder(subject, body, double_opt_in=False, challenge=True) → a publishable key of
    owner@example.com (notifications off) whose autoresponder was saved through the dashboard's form."""

    def _make(subject="Thanks {{ name }}", body="Hello {{ name }}, we got: {{ message }}", double_opt_in=False,
              challenge=True, enabled=True):
        raw = make_key("owner@example.com", kind="publishable", notify=False)
        with ar_app.app_context():
            key_id = keys.authenticate(raw).key_id
            db.session.remove()
        if challenge:
            require_challenge(ar_app, key_id)
        form = {"subject": subject, "body": body}
        form.update({"enabled": "y"} if enabled else {})
        form.update({"double_opt_in": "y"} if double_opt_in else {})
        saved = post_form(owner_client, f"/dashboard/keys/{key_id}", f"/dashboard/keys/{key_id}/autoresponder",
                          **form)
        assert saved.status_code == 303, saved.get_data(as_text=True)
        return Responder(raw, key_id)

    return _make


def submit(app, key, ip="203.0.113.7", referer=None, **fields):
    """A visitor's form post with a publishable key, from the client at ip (and the page referer, if given),
    with the key's challenge solved."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip

    def get(path):
        answer = client.get(path, headers={"Origin": SITE})
        return answer.status_code, answer.get_json()

    solution = solved_altcha(get, key)
    body = {"access_key": key, **fields, **({"altcha": solution} if solution else {})}
    return client.post("/v1/contacts", json=body, headers={"Origin": SITE, **({"Referer": referer} if referer else {})})


def mail_to(app, address):
    """The messages the SMTP server received for address (sending what the outbox has due first)."""
    return app.inbox.to(address)


def confirm_path(message):
    found = set(CONFIRM_LINK.findall(Inbox.text_of(message)))
    assert len(found) == 1, found
    return found.pop()
