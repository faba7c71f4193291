"""The link rules on their own: what is stored, single use under concurrency, expiry, tampering."""
import hashlib
import threading
import time

import pytest
from itsdangerous.timed import TimestampSigner

from contactapi import magic_links
from contactapi.extensions import db
from contactapi.models import MagicLink


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


def travel(monkeypatch, seconds):
    """Move the clock the links are signed and checked with by seconds."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + seconds)


def test_only_the_digest_of_a_token_is_stored(ctx):
    token = magic_links.make("ada@example.com", "create_key", {"kind": "secret", "domains": []})
    row = db.session.scalars(db.select(MagicLink)).one()
    assert row.id == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([row.id, row.email, row.purpose, row.payload])
    assert len(token) > 40


def test_check_changes_nothing_and_consume_works_once(ctx):
    token = magic_links.make("ada@example.com", "sign_in")
    assert magic_links.check(token).email == "ada@example.com"
    assert magic_links.check(token).used_at is None
    assert magic_links.consume(token).purpose == "sign_in"
    with pytest.raises(magic_links.LinkUsed):
        magic_links.consume(token)
    with pytest.raises(magic_links.LinkUsed):
        magic_links.check(token)


def test_of_concurrent_consumers_exactly_one_wins(app):
    with app.app_context():
        token = magic_links.make("ada@example.com", "sign_in")
        db.session.remove()
    results, start = [], threading.Barrier(6)

    def click():
        with app.app_context():
            start.wait()
            try:
                magic_links.consume(token)
                results.append("won")
            except magic_links.LinkUsed:
                results.append("used")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["used"] * 5 + ["won"]


def test_a_link_expires_after_max_age(ctx, monkeypatch, app):
    token = magic_links.make("ada@example.com", "sign_in")
    travel(monkeypatch, app.config["MAGIC_LINK_MAX_AGE"] - 5)
    assert magic_links.check(token)
    travel(monkeypatch, app.config["MAGIC_LINK_MAX_AGE"] + 5)
    with pytest.raises(magic_links.LinkExpired):
        magic_links.check(token)
    with pytest.raises(magic_links.LinkExpired):
        magic_links.consume(token)
    assert db.session.scalars(db.select(MagicLink)).one().used_at is None


def test_max_age_comes_from_config(make_app, monkeypatch):
    app = make_app(MAGIC_LINK_MAX_AGE=60)
    with app.app_context():
        token = magic_links.make("ada@example.com", "sign_in")
        travel(monkeypatch, 61)
        with pytest.raises(magic_links.LinkExpired):
            magic_links.check(token)
        db.session.remove()


def test_expired_links_of_an_address_are_dropped_when_it_gets_a_new_one(ctx, monkeypatch, app):
    magic_links.make("ada@example.com", "sign_in")
    magic_links.make("bob@example.com", "sign_in")
    later = magic_links.utcnow() + magic_links.timedelta(seconds=app.config["MAGIC_LINK_MAX_AGE"] + 1)
    monkeypatch.setattr(magic_links, "utcnow", lambda: later)
    magic_links.make("ada@example.com", "sign_in")
    assert sorted(row.email for row in db.session.scalars(db.select(MagicLink))) == [
        "ada@example.com", "bob@example.com"]


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
    lambda token: token.split(".")[0],
    lambda token: "nonsense",
    lambda token: "",
])
def test_tampered_or_truncated_tokens_are_invalid(ctx, mangle):
    token = magic_links.make("ada@example.com", "sign_in")
    with pytest.raises(magic_links.LinkInvalid):
        magic_links.check(mangle(token))


def test_a_token_signed_with_another_secret_is_invalid(ctx, make_app):
    other = make_app(SECRET_KEY="another-secret")
    with other.app_context():
        token = magic_links.make("ada@example.com", "sign_in")
        db.session.remove()
    with pytest.raises(magic_links.LinkInvalid):
        magic_links.check(token)
