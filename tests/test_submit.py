"""The one submit flow (contactapi/submit.py), called as the doors call it: each rule once, here; each door's
tests only check how it shapes the flow's answer."""
import pytest
from flask import g

from contactapi import contacts, inbox, submit as flow
from contactapi.extensions import db
from contactapi.models import Contact, Submission
from contactapi.payloads import PayloadError

SITE = "https://example.com"
V1 = flow.Door("v1", secret_keys=True)


def run(app, body, key=None, door=V1, ip="10.0.0.1", **visit):
    """Submit body through the flow in a request context of its own; returns Submitted or the SubmitError."""
    read = body if callable(body) else (lambda: dict(body))
    with app.test_request_context("/v1/contacts", method="POST", environ_base={"REMOTE_ADDR": ip}):
        try:
            result = flow.submit(door, flow.Visit(read_body=read, bearer_key=key, **{"origin": SITE, **visit}))
        except flow.SubmitError as error:
            result = error
        finally:
            g.pop("principal", None)
        db.session.remove()
        return result


def saved(app):
    """Every stored contact as (email, fields), and how many submissions are kept."""
    with app.app_context():
        rows = [(c.email, c.fields) for c in db.session.query(Contact).order_by(Contact.created_at)]
        count = db.session.query(Submission).count()
        db.session.remove()
    return rows, count


@pytest.fixture
def pub(make_key):
    return make_key(kind="publishable", domains=["example.com"])


def test_a_submission_is_stored_and_named(app, pub):
    result = run(app, {"email": "Ada@Example.com", "message": "Hi", "_next": "https://example.com/ok",
                       "_subject": "Hello\r\nBcc: x@evil.net", "_replyto": "reply@example.com"}, pub)
    assert isinstance(result, flow.Submitted) and result.created and not result.spam
    assert (result.email, result.fields, result.next_url) == ("ada@example.com", {"message": "Hi"},
                                                             "https://example.com/ok")
    assert result.controls == flow.Controls(subject="Hello Bcc: x@evil.net", reply_to="reply@example.com")
    assert saved(app) == ([("ada@example.com", {"message": "Hi"})], 1)


def test_the_domain_lock(app, pub):
    error = run(app, {"email": "a@example.com"}, pub, origin="https://evil.net")
    assert (error.status, error.code, error.error_url) == (403, "domain_mismatch", None)
    assert saved(app) == ([], 0)


@pytest.mark.parametrize("trap", [{"_gotcha": "x"}, {"botcheck": "on"}, {"botcheck": True}, {"_gotcha": ["", "x"]}])
def test_the_honeypots(app, pub, trap):
    result = run(app, {"email": "bot@example.com", **trap}, pub)
    assert result.spam and result.contact is None and result.contact_id.startswith("con_")
    assert saved(app) == ([], 0)


def test_a_honeypot_hit_is_answered_as_the_real_post_would_be(app, pub):
    """The key's "only these fields" and the normalised address, as a real success shows them; one id per
    address, as a real contact has, derived and never stored."""
    from contactapi import keys
    from contactapi.models import ApiKey
    from contactapi.spam_rules import ContentRules

    with app.app_context():
        keys.set_content_rules(db.session.scalar(db.select(ApiKey).filter_by(digest=keys.digest(pub))),
                               ContentRules(only_fields=("message",)))
    body = {"email": " Ada@Example.COM ", "message": "Hi", "extra": "dropped", "_gotcha": "x"}
    first, again = run(app, body, pub), run(app, {**body, "email": "ada@example.com"}, pub)
    other = run(app, {**body, "email": "bob@example.com"}, pub)
    assert (first.email, first.fields) == ("ada@example.com", {"message": "Hi"})
    assert first.contact_id == again.contact_id != other.contact_id and len(first.contact_id) == 20
    assert saved(app) == ([], 0)


@pytest.mark.parametrize("empty", [{"_gotcha": ""}, {"botcheck": ""}, {"botcheck": False}, {"_gotcha": 0}, {"botcheck": []},
                                   {"_gotcha": ["", ""]}])
def test_empty_honeypots_are_people(app, pub, empty):
    assert not run(app, {"email": "a@example.com", **empty}, pub).spam


def test_the_client_ip_is_counted_before_the_body_is_judged(make_app, pub):
    """Issue 8 item 11: malformed bodies from one address end in 429 too."""
    app = make_app(RATELIMIT_PUBLIC_IP="3/minute")

    def malformed():
        raise PayloadError("Invalid JSON", code="invalid_json")

    codes = [run(app, malformed).code for _ in range(4)]
    assert codes == ["invalid_json"] * 3 + ["rate_limited"]
    assert run(app, {"email": "a@example.com"}, pub).status == 429  # same address, valid post: still counted
    assert isinstance(run(app, {"email": "a@example.com"}, pub, ip="10.0.0.2"), flow.Submitted)


def test_the_reader_refuses_and_nothing_is_stored(app, pub):
    def unreadable():
        raise PayloadError("The text is not valid Unicode (a lone surrogate)", code="invalid_text")

    error = run(app, unreadable, pub)
    assert (error.status, error.code) == (400, "invalid_text")
    assert saved(app) == ([], 0)


@pytest.mark.parametrize("visit", [{"form_body": True}, {"origin": SITE}])
def test_secret_keys_are_refused_from_browsers(app, secret_key, visit):
    """Issue 8 item 13: a secret key in a form body or with a browser Origin."""
    error = run(app, {"email": "a@example.com"}, **{"key": secret_key, "origin": None, **visit})
    assert (error.status, error.code, error.field) == (403, "secret_key_in_browser", "access_key")
    assert "publishable key" in error.message
    assert saved(app) == ([], 0)
    assert run(app, {"email": "a@example.com"}, secret_key, origin=None).created  # a backend may


def test_a_door_without_secret_keys_refuses_them_everywhere(app, secret_key):
    error = run(app, {"email": "a@example.com"}, secret_key, door=flow.Door("web"), origin=None)
    assert error.code == "secret_key_in_browser" and saved(app) == ([], 0)


def test_a_disabled_publishable_key_is_named_so(app, make_key):
    from contactapi import keys
    from contactapi.models import ApiKey

    key = make_key(kind="publishable")
    with app.app_context():
        keys.set_status(db.session.scalar(db.select(ApiKey).filter_by(digest=keys.digest(key))), "disabled")
    assert run(app, {"email": "a@example.com"}, key).code == "key_disabled"
    assert run(app, {"email": "a@example.com"}, "ck_pub_unknown").code == "invalid_api_key"
    assert run(app, {"email": "a@example.com"}).code == "missing_api_key"


def test_every_field_at_fault_is_named(app, pub):
    door = flow.Door("form", required=("message",))
    error = run(app, {"email": "nope", "id": "con_x"}, pub, door=door)
    assert [(p.field, p.code) for p in error.problems] == [
        ("id", "read_only_field"), ("email", "invalid_email"), ("message", "field_required")]
    assert error.field == "id" and error.status == 400


def test_the_address_may_come_from_a_fallback_field(app, pub):
    door = flow.Door("formspree", email_from=("email", "_replyto"))
    assert run(app, {"_replyto": "r@example.com", "m": "x"}, pub, door=door).email == "r@example.com"
    assert run(app, {"m": "x"}, pub, door=door).code == "email_required"


@pytest.mark.parametrize("target", ["https://example.com/ok\r\nSet-Cookie: x=1", "https://example.com/\nok",
                                    "https://example.com/ok\t"])
def test_a_target_with_a_line_break_is_no_target(app, pub, target):
    """Issue 8 item 7: CR/LF in _next / success_url / error_url is an invalid target."""
    for name in ("_next", "success_url", "redirect"):
        assert run(app, {"email": "a@example.com", name: target}, pub).next_url is None
    assert run(app, {"email": "nope", "error_url": target}, pub).error_url is None


def test_an_error_url_is_followed_only_inside_the_keys_domains(app, pub):
    assert run(app, {"email": "nope", "_error": "https://example.com/oops"}, pub).error_url == "https://example.com/oops"
    assert run(app, {"email": "nope", "_error": "https://evil.net/oops"}, pub).error_url is None


def test_the_keys_default_redirect_comes_after_the_forms_own(app, make_key):
    from contactapi import keys
    from contactapi.models import ApiKey

    key = make_key(kind="publishable", domains=["example.com"])
    with app.app_context():
        keys.set_visitor_pages(db.session.scalar(db.select(ApiKey).filter_by(digest=keys.digest(key))),
                               "https://example.com/merci", "Thanks!")
    assert run(app, {"email": "a@example.com"}, key).next_url == "https://example.com/merci"
    assert run(app, {"email": "a@example.com", "_next": "https://example.com/x"}, key).next_url == \
        "https://example.com/x"


def big(n_fields=1, size=0):
    return {f"f{i}": "x" * size for i in range(n_fields)}


def test_a_post_over_the_cap_by_itself_is_413(make_app, make_key):
    """Issue 8 item 2, whatever the key."""
    app = make_app(MAX_CONTACT_FIELDS=5, MAX_CONTACT_BYTES=1000)
    for key in (make_key(kind="publishable"), make_key()):
        for fields in (big(6), big(1, 1001)):
            error = run(app, {"email": "a@example.com", **fields}, key, origin=None if "secret" in key else SITE)
            assert (error.status, error.code) == (413, "contact_too_large")
    assert saved(app) == ([], 0)


def test_a_secret_key_cannot_grow_a_contact_past_the_cap(make_app, secret_key):
    app = make_app(MAX_CONTACT_FIELDS=5)
    assert run(app, {"email": "a@example.com", **big(3)}, secret_key, origin=None).created
    error = run(app, {"email": "a@example.com", "n1": 1, "n2": 2, "n3": 3}, secret_key, origin=None)
    assert (error.status, error.code) == (413, "contact_too_large")
    assert saved(app) == ([("a@example.com", big(3))], 1)  # nothing changed


def test_a_publishable_key_over_the_cap_keeps_the_submission_and_the_contact(make_app, make_key, secret_key):
    """The answer never depends on what is stored: 201-like success, the post whole in the history."""
    app = make_app(MAX_CONTACT_BYTES=2000)
    key = make_key(kind="publishable")
    run(app, {"email": "a@example.com", "a": "x" * 1500}, secret_key, origin=None)
    result = run(app, {"email": "a@example.com", "b": "y" * 1500}, key)
    assert isinstance(result, flow.Submitted) and result.fields == {"b": "y" * 1500}
    assert saved(app) == ([("a@example.com", {"a": "x" * 1500})], 2)
    with app.app_context():
        [contact] = db.session.query(Contact).all()
        history = contacts.list_submissions(contact.account_id, contact.id, 1, 10)["data"]
        db.session.remove()
    assert history[0]["fields"] == {"email": "a@example.com", "b": "y" * 1500}


def test_the_submission_history_keeps_the_newest(make_app, secret_key):
    app = make_app(SUBMISSIONS_PER_CONTACT=3)
    for n in range(5):
        run(app, {"email": "a@example.com", "n": n}, secret_key, origin=None)
    with app.app_context():
        [contact] = db.session.query(Contact).all()
        history = contacts.list_submissions(contact.account_id, contact.id, 1, 10)
        db.session.remove()
    assert history["total"] == 3 and [s["fields"]["n"] for s in history["data"]] == [4, 3, 2]


def test_a_submission_deleted_by_hand_brings_no_older_one_back_under_the_cap(make_app, secret_key):
    """The cap counts what the contact received: of its newest three, the one deleted stays gone and the
    fourth newest goes as it would have gone anyway."""
    app = make_app(SUBMISSIONS_PER_CONTACT=3)
    for n in range(3):
        run(app, {"email": "a@example.com", "n": n}, secret_key, origin=None)
    with app.app_context():
        [contact] = db.session.query(Contact).all()
        newest = contacts.list_submissions(contact.account_id, contact.id, 1, 10)["data"][0]
        db.session.remove()
        inbox.remove(contact.account_id, [newest["id"]])
    run(app, {"email": "a@example.com", "n": 3}, secret_key, origin=None)
    with app.app_context():
        history = contacts.list_submissions(contact.account_id, contact.id, 1, 10)
        db.session.remove()
    assert [s["fields"]["n"] for s in history["data"]] == [3, 1]
