"""Content rules: saved on the key page (validated, CSRF), and what each does to a post through either door."""
import pytest

from contactapi.models import ApiKey, Contact, Submission
from tests.keyring.helpers import csrf_from
from tests.keyring.spam_helpers import key_id_of, post, rows, save_rules, spam_rows, stored_counts

RULES = [
    # (the rule as typed, the body posted, reason, detail)
    ({"max_links": "1"}, {"email": "a@example.net", "message": "see http://a.example and www.b.example"},
     "rule_links", "2 links; this key allows 1"),
    ({"blocked_words": "free money\ncasino"}, {"email": "a@example.net", "message": "Win at the CASINO!"},
     "rule_blocked_word", '"casino" in message'),
    ({"blocked_senders": "bad@example.org\nspam.example"}, {"email": "Someone@Mail.Spam.Example", "message": "hi"},
     "rule_blocked_sender", "someone@mail.spam.example matches spam.example"),
    ({"blocked_senders": "@example.org, bad@example.net"}, {"email": "x@example.org"},
     "rule_blocked_sender", "x@example.org matches example.org"),
    # Domains with non-ASCII letters, typed either way, block the sender's domain written either way.
    ({"blocked_senders": "bücher.example"}, {"email": "Ada@Mail.BÜCHER.example"},
     "rule_blocked_sender", "ada@mail.bücher.example matches xn--bcher-kva.example"),
    ({"blocked_senders": "XN--MLLER-KVA.DE"}, {"email": "ada@müller.de"},
     "rule_blocked_sender", "ada@müller.de matches xn--mller-kva.de"),
    ({"required_fields": "name, company"}, {"email": "a@example.net", "name": "Ada", "company": "  "},
     "rule_required_field", "company is missing"),
]


@pytest.fixture
def ruled(app, make_key, owner):
    """ruled(**form) → (raw publishable key, key id) with these content rules saved on its key page."""

    def _make(**form):
        raw = make_key(kind="publishable", domains=["example.com"])
        key_id = key_id_of(app, raw)
        response = save_rules(owner, key_id, **form)
        assert response.status_code == 303, response.get_data(as_text=True)
        return raw, key_id

    return _make


@pytest.mark.parametrize("door", ["json", "form"])
@pytest.mark.parametrize("rule, body, reason, detail", RULES)
def test_each_rule_keeps_the_post_in_the_spam_folder_and_answers_success(app, client, ruled, door, rule, body, reason,
                                                                         detail):
    raw, key_id = ruled(**rule)
    response = post(client, door, raw, {**body, "_next": ""})
    if door == "json":
        assert response.get_json()["id"].startswith("con_")  # what a real success says: a bot cannot tell
    assert stored_counts(app) == (0, 0, 0, 1)  # no contact, no submission, no delivery queued
    [kept] = spam_rows(app)
    assert (kept.reason, kept.detail, kept.key_id) == (reason, detail, key_id)
    assert kept.email == body["email"]  # as sent
    assert kept.fields == {name: value for name, value in body.items() if name != "email"}  # no control fields


@pytest.mark.parametrize("door", ["json", "form"])
def test_a_post_breaking_no_rule_is_a_contact(app, client, ruled, door):
    raw, _ = ruled(max_links="1", blocked_words="casino", blocked_senders="spam.example", required_fields="name")
    post(client, door, raw, {"email": "ada@example.net", "name": "Ada", "message": "casinos at http://x.example"})
    contacts, submissions, deliveries, spam = stored_counts(app)
    assert (contacts, submissions, spam) == (1, 1, 0) and deliveries >= 1  # the owner's notification


def test_blocked_senders_match_whole_domains_and_exact_addresses(app, client, ruled):
    raw, _ = ruled(blocked_senders="bad@example.org\nspam.example")
    for email in ("good@example.org", "a@notspam.example", "bad@example.org.net"):
        post(client, "json", raw, {"email": email})
    assert stored_counts(app)[0] == 3 and spam_rows(app) == []


@pytest.mark.parametrize("door", ["json", "form"])
def test_only_these_fields_drops_the_others_from_what_is_stored(app, client, ruled, door):
    raw, _ = ruled(only_fields="name\nmessage")
    post(client, door, raw, {"email": "ada@example.net", "name": "Ada", "message": "Hi", "utm_source": "ad",
                             "tracking": "x"})
    [contact] = rows(app, Contact)
    [submission] = rows(app, Submission)
    assert contact.fields == {"name": "Ada", "message": "Hi"}
    assert submission.fields == {"email": "ada@example.net", "name": "Ada", "message": "Hi"}
    assert spam_rows(app) == []  # dropped, not spam


def test_the_rules_form_shows_what_was_saved_in_the_order_typed(app, owner, ruled):
    _raw, key_id = ruled(max_links="3", blocked_words="zeta\nAlpha\nalpha", blocked_senders="https://www.Spam.example/x",
                         required_fields="name,company", only_fields="name company message")
    [key] = rows(app, ApiKey, id=key_id)
    assert key.content_rules == {"max_links": 3, "blocked_words": ["zeta", "Alpha"],
                                 "blocked_senders": ["www.spam.example"], "required_fields": ["name", "company"],
                                 "only_fields": ["name", "company", "message"]}
    page = owner.get(f"/dashboard/keys/{key_id}").get_data(as_text=True)
    assert "zeta\nAlpha</textarea>" in page and 'value="3"' in page
    cleared = ruled()  # a key whose form was saved empty has no rules at all
    assert rows(app, ApiKey, id=cleared[1])[0].content_rules is None


@pytest.mark.parametrize("form, message", [
    ({"max_links": "-1"}, "A number from 0 to 1000"),
    ({"max_links": "many"}, "Not a valid integer value"),
    ({"blocked_senders": "not a domain!!"}, "is neither an email address nor a domain"),
    ({"required_fields": "_next"}, "_next is a control field"),
    ({"required_fields": "company", "only_fields": "name"}, "company is required but"),
    ({"blocked_words": "x" * 101}, "longer than 100 characters"),
])
def test_bad_rules_are_a_400_with_the_reason_and_nothing_is_saved(app, owner, make_key, form, message):
    key_id = key_id_of(app, make_key(kind="publishable"))
    response = save_rules(owner, key_id, **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert rows(app, ApiKey, id=key_id)[0].content_rules is None


def test_rules_need_the_csrf_token_and_a_publishable_key_of_ones_own(app, owner, make_key, client):
    key_id = key_id_of(app, make_key(kind="publishable"))
    assert owner.post(f"/dashboard/keys/{key_id}/content-rules", data={"max_links": "1"}).status_code == 400
    secret_id = key_id_of(app, make_key(kind="secret"))
    assert save_rules(owner, secret_id, max_links="1").status_code == 404
    other_id = key_id_of(app, make_key("other@example.com", kind="publishable"))
    page = owner.get(f"/dashboard/keys/{key_id}")
    refused = owner.post(f"/dashboard/keys/{other_id}/content-rules", data={"csrf_token": csrf_from(page), "max_links": "1"})
    assert refused.status_code == 404 and rows(app, ApiKey, id=other_id)[0].content_rules is None


def test_a_blocked_sender_is_caught_in_formspree_s_replyto_too(app, client, ruled):
    raw, _ = ruled(blocked_senders="spam.example")
    response = client.post(f"/f/{raw}", data={"_replyto": "x@Spam.example", "message": "hi"},
                           headers={"Origin": "https://example.com", "Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    [kept] = spam_rows(app)
    assert (kept.reason, kept.email, kept.fields) == ("rule_blocked_sender", "x@Spam.example", {"message": "hi"})
    assert stored_counts(app) == (0, 0, 0, 1)
