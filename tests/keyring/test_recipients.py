"""Extra recipients of a key's submission emails: nothing reaches them until they confirm by the emailed link."""
import re

from contactapi.models import NotificationRecipient
from tests.forms.conftest import SITE
from tests.keyring.helpers import click, post_form, table_count

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/recipients/confirm/[A-Za-z0-9._-]+)")


def _submit(app, key, email):
    response = app.test_client().post("/v1/contacts", json={"email": email, "message": "Hi"},
                                      headers={"Authorization": f"Bearer {key}", "Origin": SITE})
    assert response.status_code == 201


def test_a_recipient_gets_submissions_only_after_confirming(mail_app, make_key, sign_in):
    key = make_key("owner@example.com", kind="publishable")
    owner = sign_in(mail_app.test_client())
    key_id = owner.get("/dashboard/keys").get_data(as_text=True).split("/dashboard/keys/key_", 1)[1].split('"', 1)[0]
    page = f"/dashboard/keys/key_{key_id}"
    assert post_form(owner, page, f"{page}/recipients", email="Colleague@Example.com").status_code == 303
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


def test_a_forged_confirmation_link_confirms_nothing(client):
    assert client.get("/recipients/confirm/forged").status_code == 404
