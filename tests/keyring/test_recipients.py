"""Extra recipients of a key's submission emails: nothing reaches them until they confirm by the emailed link."""
import re

from contactapi.models import ApiKey, NotificationRecipient
from tests.forms.conftest import SITE
from tests.keyring.helpers import click, post_form, table_count

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/recipients/confirm/[A-Za-z0-9._-]+)")


def _submit(app, key, email):
    response = app.test_client().post("/v1/contacts", json={"email": email, "message": "Hi"},
                                      headers={"Authorization": f"Bearer {key}", "Origin": SITE})
    assert response.status_code == 201


def _with_recipient(mail_app, make_key, sign_in, email):
    """(publishable key, the owner's signed-in client, its key page) once the owner added email as a recipient."""
    key = make_key("owner@example.com", kind="publishable")
    owner = sign_in(mail_app.test_client())
    key_id = owner.get("/dashboard/keys").get_data(as_text=True).split("/dashboard/keys/key_", 1)[1].split('"', 1)[0]
    page = f"/dashboard/keys/key_{key_id}"
    assert post_form(owner, page, f"{page}/recipients", email=email).status_code == 303
    return key, owner, page


def test_a_recipient_gets_submissions_only_after_confirming(mail_app, make_key, sign_in):
    key, owner, page = _with_recipient(mail_app, make_key, sign_in, "Colleague@Example.com")
    assert "waiting for confirmation" in owner.get(page).get_data(as_text=True)
    _submit(mail_app, key, "a@example.com")
    inbox = mail_app.inbox
    assert len(inbox.to("owner@example.com")) == 1
    [confirmation] = inbox.to("colleague@example.com")  # the link, and no submission
    assert "Confirm" in confirmation["Subject"]
    [link] = CONFIRM_LINK.findall(inbox.text_of(confirmation))
    assert click(mail_app.test_client(), link).status_code == 200  # opened by the recipient, not the owner
    with mail_app.app_context():
        assert NotificationRecipient.query.one().confirmed_at is not None
    _submit(mail_app, key, "b@example.com")
    assert len(inbox.to("owner@example.com")) == 2
    [_confirmation, submission] = inbox.to("colleague@example.com")
    assert "b@example.com" in submission["Subject"]
    with mail_app.app_context():
        recipient_id = NotificationRecipient.query.one().id
    post_form(owner, page, f"{page}/recipients/{recipient_id}/delete")
    assert table_count(mail_app, NotificationRecipient) == 0
    _submit(mail_app, key, "c@example.com")
    assert len(inbox.to("colleague@example.com")) == 2


def test_a_recipients_unsubscribe_stops_only_its_own_copies(mail_app, make_key, sign_in):
    key, owner, page = _with_recipient(mail_app, make_key, sign_in, "ivy@example.com")
    inbox = mail_app.inbox
    [link] = CONFIRM_LINK.findall(inbox.text_of(inbox.to("ivy@example.com")[0]))
    assert click(mail_app.test_client(), link).status_code == 200
    _submit(mail_app, key, "a@example.com")
    [owners] = inbox.to("owner@example.com")
    [_confirmation, ivys] = inbox.to("ivy@example.com")
    ivys_link = ivys["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    assert ivys_link != owners["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    assert "Stop them" in inbox.text_of(ivys) and "Turn them off" in inbox.text_of(owners)
    visitor = mail_app.test_client()
    assert "ivy@example.com" in visitor.get(ivys_link).get_data(as_text=True)  # a GET changes nothing
    assert visitor.post(ivys_link, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # her mail client
    assert table_count(mail_app, NotificationRecipient) == 0
    _submit(mail_app, key, "b@example.com")
    assert len(inbox.to("owner@example.com")) == 2 and len(inbox.to("ivy@example.com")) == 2  # the owner's go on
    with mail_app.app_context():
        assert ApiKey.query.filter_by(id=page.rsplit("/", 1)[1]).one().notify is True
    assert visitor.post(ivys_link).status_code == 200  # pressed again, once she is gone: still nothing else
    _submit(mail_app, key, "c@example.com")
    assert len(inbox.to("owner@example.com")) == 3


def test_a_forged_confirmation_link_confirms_nothing(client):
    assert client.get("/recipients/confirm/forged").status_code == 404
