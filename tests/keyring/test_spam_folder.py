"""The spam folder: honeypot posts land there, the Spam page, Not spam, Delete, its bounds, the inbox's
Move to spam, erasure, and one account never seeing or acting on another's spam."""
from datetime import timedelta
from functools import partial

import pytest
import requests
from sqlalchemy import select

from contactapi import challenges, contact_counts, keys
from contactapi.deliveries.models import Delivery
from contactapi.extensions import db
from contactapi.models import Account, Contact, SpamSubmission, Submission, utcnow
from tests.keyring.helpers import csrf_from, dashboard_poster, post_form
from tests.keyring.spam_helpers import key_id_of, post, rows, save_rules, spam_ids_on, spam_rows, stored_counts
from tests.races import at_once


@pytest.fixture
def pub(make_key):
    return make_key(kind="publishable", domains=["example.com"])


def bot_post(client, raw, door="form", **fields):
    return post(client, door, raw, {"email": "ada@example.net", "message": "Hello", "_gotcha": "bot", **fields})


@pytest.mark.parametrize("door", ["json", "form"])
def test_a_honeypot_post_lands_in_the_folder(app, client, pub, door):
    bot_post(client, pub, door, _next="", name="Ada")
    assert stored_counts(app) == (0, 0, 0, 1)
    [kept] = spam_rows(app)
    assert (kept.reason, kept.email, kept.fields) == ("honeypot", "ada@example.net", {"message": "Hello", "name": "Ada"})
    assert kept.key_id == key_id_of(app, pub)


def test_the_spam_page_lists_reason_fields_escaped_key_and_time(app, client, owner, pub):
    bot_post(client, pub, message="<script>alert(1)</script>", essay="x" * 500, email="<b>ada@example.net</b>")
    page = owner.get("/dashboard/spam")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/dashboard/spam"' in html  # the nav link
    assert "A hidden field was filled in" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "&lt;b&gt;" in html and "<b>ada" not in html
    assert '<details class="folded">' in html  # a long field is folded
    assert f'href="/dashboard/keys/{key_id_of(app, pub)}"' in html and "UTC" in html
    assert len(spam_ids_on(page)) == 1


def test_not_spam_makes_the_contact_submission_and_deliveries_as_if_just_posted(app, client, owner, pub):
    bot_post(client, pub, name="Ada")
    page = owner.get("/dashboard/spam")
    [spam_id] = spam_ids_on(page)
    response = owner.post(f"/dashboard/spam/{spam_id}/not-spam", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/spam")
    [contact] = rows(app, Contact)
    [submission] = rows(app, Submission)
    assert (contact.email, contact.fields) == ("ada@example.net", {"message": "Hello", "name": "Ada"})
    assert submission.contact_id == contact.id and submission.key_id == key_id_of(app, pub)
    assert submission.fields == {"email": "ada@example.net", "message": "Hello", "name": "Ada"}
    assert [d.topic for d in rows(app, Delivery)] == ["notification"]  # the owner's mail, queued
    assert spam_rows(app) == []
    assert "Moved to your contacts: ada@example.net." in owner.get("/dashboard/spam").get_data(as_text=True)
    again = owner.post(f"/dashboard/spam/{spam_id}/not-spam", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 404 and len(rows(app, Submission)) == 1  # never stored twice


def test_not_spam_applies_the_keys_only_these_fields(app, client, owner, pub):
    bot_post(client, pub, tracking="x")
    assert save_rules(owner, key_id_of(app, pub), only_fields="message").status_code == 303
    page = owner.get("/dashboard/spam")
    owner.post(f"/dashboard/spam/{spam_ids_on(page)[0]}/not-spam", data={"csrf_token": csrf_from(page)})
    assert rows(app, Contact)[0].fields == {"message": "Hello"}


def test_spam_without_a_valid_address_stays_and_says_why(app, client, owner, pub):
    bot_post(client, pub, door="json", email="not an address")
    page = owner.get("/dashboard/spam")
    response = owner.post(f"/dashboard/spam/{spam_ids_on(page)[0]}/not-spam", data={"csrf_token": csrf_from(page)},
                          follow_redirects=True)
    assert "cannot become a contact: email is not a valid email address" in response.get_data(as_text=True)
    assert stored_counts(app) == (0, 0, 0, 1)


def test_delete_one_and_bulk(app, client, owner, pub):
    for n in range(3):
        bot_post(client, pub, message=f"spam {n}")
    page = owner.get("/dashboard/spam")
    ids = spam_ids_on(page)
    token = csrf_from(page)
    assert owner.post(f"/dashboard/spam/{ids[0]}/delete", data={"csrf_token": token}).status_code == 303
    assert [row.id for row in spam_rows(app)] == ids[:0:-1]
    assert owner.post("/dashboard/spam/bulk", data={"csrf_token": token, "action": "delete", "ids": ids[1:]}).status_code == 303
    assert stored_counts(app) == (0, 0, 0, 0)
    assert owner.post(f"/dashboard/spam/{ids[1]}/delete", data={"csrf_token": token}).status_code == 404
    assert owner.post("/dashboard/spam/bulk", data={"action": "delete", "ids": ids}).status_code == 400  # no CSRF


def test_bulk_not_spam(app, client, owner, pub):
    bot_post(client, pub, email="ada@example.net")
    bot_post(client, pub, email="bob@example.net")
    page = owner.get("/dashboard/spam")
    owner.post("/dashboard/spam/bulk", data={"csrf_token": csrf_from(page), "action": "not_spam", "ids": spam_ids_on(page)})
    assert sorted(c.email for c in rows(app, Contact)) == ["ada@example.net", "bob@example.net"]
    assert len(rows(app, Delivery)) == 2 and spam_rows(app) == []


def test_the_folder_keeps_the_newest_up_to_the_limit(app, client, owner, pub):
    app.config["SPAM_FOLDER_LIMIT"] = 3
    for n in range(5):
        bot_post(client, pub, message=f"spam {n}")
    assert [row.fields["message"] for row in spam_rows(app)] == ["spam 2", "spam 3", "spam 4"]


def _old_spam(app, email, days):
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.email == email))
        db.session.add(SpamSubmission(id=f"spm_old{days}", account_id=account.id, email="old@example.net", fields={},
                                      reason="honeypot", created_at=utcnow() - timedelta(days=days)))
        db.session.commit()
        db.session.remove()


def test_spam_older_than_30_days_is_never_shown_and_is_pruned(app, client, owner, pub, make_key, runner):
    make_key("other@example.com", kind="publishable")
    _old_spam(app, "owner@example.com", 31)
    _old_spam(app, "other@example.com", 40)
    _old_spam(app, "owner@example.com", 29)
    assert spam_ids_on(owner.get("/dashboard/spam")) == ["spm_old29"]
    bot_post(client, pub)  # a new spam prunes its own account's old ones
    kept = {row.id for row in spam_rows(app)}
    assert len(kept) == 3 and {"spm_old29", "spm_old40"} <= kept and "spm_old31" not in kept
    result = runner.invoke(args=["spam", "prune"])  # the CLI prunes every account
    assert result.exit_code == 0 and "Deleted 1 spam submissions older than 30 days." in result.output
    assert "spm_old40" not in {row.id for row in spam_rows(app)} and len(spam_rows(app)) == 2


def _send(client, raw, email, message):
    response = client.post("/v1/contacts", json={"email": email, "message": message},
                           headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code in (200, 201)


def test_move_to_spam_from_the_inbox(app, client, owner, make_key):
    raw = make_key(kind="secret")
    _send(client, raw, "ada@example.net", "first")
    _send(client, raw, "ada@example.net", "second")
    _send(client, raw, "bob@example.net", "only one")
    by_message = {s.fields["message"]: s.id for s in rows(app, Submission)}
    deliveries_before = len(rows(app, Delivery))
    response = post_form(owner, "/dashboard/inbox", "/dashboard/inbox/bulk", action="spam",
                         ids=[by_message["second"], by_message["only one"]])
    assert response.status_code == 303
    assert "Moved 2 to spam." in owner.get("/dashboard/inbox").get_data(as_text=True)
    assert [s.fields["message"] for s in rows(app, Submission)] == ["first"]
    # bob's contact existed only through what is now spam: it goes; ada keeps her contact (and its count)
    assert [c.email for c in rows(app, Contact)] == ["ada@example.net"]
    with app.app_context():
        assert db.session.execute(select(contact_counts.TOTAL).where(Account.email == "owner@example.com")).scalar() == 1
        db.session.remove()
    assert sorted((s.email, s.reason, s.fields["message"]) for s in spam_rows(app)) == [
        ("ada@example.net", "owner", "second"), ("bob@example.net", "owner", "only one")]
    assert len(rows(app, Delivery)) == deliveries_before  # no webhook is listening, no mail for a move
    page = owner.get("/dashboard/spam")
    assert "Moved here by you" in page.get_data(as_text=True)
    bob = next(s.id for s in spam_rows(app) if s.email == "bob@example.net")
    owner.post(f"/dashboard/spam/{bob}/not-spam", data={"csrf_token": csrf_from(page)})
    assert sorted(c.email for c in rows(app, Contact)) == ["ada@example.net", "bob@example.net"]


def test_erasing_a_person_erases_their_spam(app, client, pub, make_key):
    secret = make_key(kind="secret")
    bot_post(client, pub, email="Ada@Example.net")
    bot_post(client, pub, email="bob@example.net", cc="ada@example.net")
    bot_post(client, pub, email="carl@example.net")
    auth = {"Authorization": f"Bearer {secret}"}
    held = client.get("/v1/people/ada@example.net", headers=auth).get_json()["spam"]
    assert sorted(item["email"] for item in held) == ["Ada@Example.net", "bob@example.net"]
    erased = client.delete("/v1/people/ada@example.net", headers=auth).get_json()["erased"]
    assert erased["spam"] == 2 and [row.email for row in spam_rows(app)] == ["carl@example.net"]


def test_another_account_can_neither_see_nor_act_on_the_spam(app, client, pub, sign_in, make_key):
    bot_post(client, pub, message="owner's spam")
    [spam_id] = [row.id for row in spam_rows(app)]
    raw = make_key(kind="secret")
    _send(client, raw, "ada@example.net", "owner's message")
    [submission_id] = [s.id for s in rows(app, Submission)]
    make_key("intruder@example.com", kind="publishable")
    intruder = sign_in(app.test_client(), "intruder@example.com")
    page = intruder.get("/dashboard/spam")
    assert "owner&#39;s spam" not in page.get_data(as_text=True) and spam_ids_on(page) == []
    token = csrf_from(page)
    assert intruder.post(f"/dashboard/spam/{spam_id}/not-spam", data={"csrf_token": token}).status_code == 404
    assert intruder.post(f"/dashboard/spam/{spam_id}/delete", data={"csrf_token": token}).status_code == 404
    for action in ("delete", "not_spam"):
        intruder.post("/dashboard/spam/bulk", data={"csrf_token": token, "action": action, "ids": [spam_id]})
    intruder.post("/dashboard/inbox/bulk", data={"csrf_token": token, "action": "spam", "ids": [submission_id]})
    assert len(spam_rows(app)) == 1 and len(rows(app, Submission)) == 1 and len(rows(app, Contact)) == 1


def test_not_spam_after_its_key_was_deleted_stores_it_without_the_keys_mail(app, client, owner, pub):
    bot_post(client, pub)
    key_id = key_id_of(app, pub)
    assert post_form(owner, f"/dashboard/keys/{key_id}", f"/dashboard/keys/{key_id}/delete").status_code == 303
    page = owner.get("/dashboard/spam")
    assert "a deleted key" in page.get_data(as_text=True)
    owner.post(f"/dashboard/spam/{spam_ids_on(page)[0]}/not-spam", data={"csrf_token": csrf_from(page)})
    [submission] = rows(app, Submission)
    assert submission.key_id is None and rows(app, Contact)[0].email == "ada@example.net"
    assert rows(app, Delivery) == []  # the notification setting went with the key


def test_a_failed_challenge_is_refused_and_kept_in_the_folder(app, client, pub):
    with app.app_context():
        challenges.configure(keys.key_of(keys.authenticate(pub).account_id, key_id_of(app, pub)), "altcha")
        db.session.remove()
    response = client.post("/v1/contacts", json={"access_key": pub, "email": "ada@example.net", "message": "Hi",
                                                 "altcha": "forged"}, headers={"Origin": "https://example.com"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "challenge_failed")
    assert stored_counts(app) == (0, 0, 0, 1)
    [kept] = spam_rows(app)
    assert (kept.reason, kept.email, kept.fields) == ("challenge_failed", "ada@example.net", {"message": "Hi"})


def _contact_total(app):
    with app.app_context():
        total = db.session.execute(select(contact_counts.TOTAL).where(Account.email == "owner@example.com")).scalar()
        db.session.remove()
    return total


def test_two_clicks_at_once_on_move_to_spam_make_one_copy(app, gunicorn, make_key):
    base, raw = gunicorn(workers=4), make_key(kind="secret")
    click = dashboard_poster(app, base)
    for i in range(15):
        contact = requests.post(f"{base}/v1/contacts", json={"email": f"twice{i}@example.net", "n": i},
                                headers={"Authorization": f"Bearer {raw}"}, timeout=10).json()
        [submission] = rows(app, Submission, contact_id=contact["id"])
        clicks = at_once(click("/dashboard/inbox/bulk", action="spam", ids=submission.id),
                         click("/dashboard/inbox/bulk", action="spam", ids=submission.id))
        assert [r.status_code for r in clicks] == [303, 303]
    assert sorted(s.email for s in spam_rows(app)) == sorted(f"twice{i}@example.net" for i in range(15))
    assert (rows(app, Contact), rows(app, Submission), _contact_total(app)) == ([], [], 0)


def test_move_to_spam_racing_a_post_to_the_contact_keeps_the_post(app, gunicorn, make_key):
    """The contact's only submission moved to spam as a new post for it arrives: the contact goes only if the
    post came after (then the post makes it anew); the post's submission and field are never lost."""
    base, raw = gunicorn(workers=4), make_key(kind="secret")
    click, headers = dashboard_poster(app, base), {"Authorization": f"Bearer {raw}"}
    for i in range(25):
        email = f"late{i}@example.net"
        contact = requests.post(f"{base}/v1/contacts", json={"email": email}, headers=headers, timeout=10).json()
        [submission] = rows(app, Submission, contact_id=contact["id"])
        moved, posted = at_once(click("/dashboard/inbox/bulk", action="spam", ids=submission.id),
                                partial(requests.post, f"{base}/v1/contacts", json={"email": email, "late": i},
                                        headers=headers, timeout=60))
        assert (moved.status_code, posted.status_code) in ((303, 200), (303, 201))
    kept = {c.email: c for c in rows(app, Contact)}
    assert sorted(kept) == sorted(f"late{i}@example.net" for i in range(25))
    assert all(c.fields["late"] == int(c.email[4:-12]) for c in kept.values())
    assert sorted(s.contact_id for s in rows(app, Submission)) == sorted(c.id for c in kept.values())
    assert _contact_total(app) == 25
