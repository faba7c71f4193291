"""Helpers of the spam tests: keys with content rules saved through the key page, posts through both doors,
and what was stored (contacts, submissions, deliveries, the spam folder)."""
import re

from contactapi import keys
from contactapi.deliveries.models import Delivery
from contactapi.extensions import db
from contactapi.models import ApiKey, Contact, SpamSubmission, Submission
from tests.keyring.helpers import post_form

SITE = "https://example.com"
BROWSER = {"Origin": SITE, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def key_id_of(app, raw):
    with app.app_context():
        key_id = db.session.scalar(db.select(ApiKey.id).where(ApiKey.digest == keys.digest(raw)))
        db.session.remove()
    return key_id


def save_rules(owner, key_id, **form):
    """Save content rules as the owner would, on the key page's form; the response."""
    return post_form(owner, f"/dashboard/keys/{key_id}", f"/dashboard/keys/{key_id}/content-rules", **form)


def post(client, door, raw_key, body):
    """Post a submission through the JSON door (201 expected) or a browser form (303 expected)."""
    if door == "json":
        response = client.post("/v1/contacts", json=body, headers={"Authorization": f"Bearer {raw_key}", "Origin": SITE})
        assert response.status_code == 201, response.get_data(as_text=True)
    else:
        response = client.post("/v1/contacts", data={"access_key": raw_key, **body}, headers=BROWSER)
        assert response.status_code == 303, response.get_data(as_text=True)
        assert response.headers["Location"].startswith("/thanks")
    return response


def rows(app, model, order=None, **where):
    with app.app_context():
        query = db.select(model).filter_by(**where)
        found = db.session.scalars(query.order_by(order) if order is not None else query).all()
        db.session.expunge_all()
        db.session.remove()
    return found


def spam_rows(app, **where):
    return rows(app, SpamSubmission, SpamSubmission.created_at, **where)


def stored_counts(app):
    """(contacts, submissions, deliveries, spam) as stored now."""
    return tuple(len(rows(app, model)) for model in (Contact, Submission, Delivery, SpamSubmission))


def spam_ids_on(page):
    return re.findall(r'name="ids" value="(spm_[a-z0-9]+)"', page.get_data(as_text=True))
