"""The autoresponder form on a key's dashboard page: CSRF, publishable keys only, saved values shown again."""
from contactapi import keys
from contactapi.autoresponders.models import Autoresponder
from tests.keyring.helpers import csrf_from, table_count


def _key_id(app, raw):
    with app.app_context():
        return keys.authenticate(raw).key_id


def test_the_form_saves_and_shows_what_was_saved(ar_app, make_responder, owner_client):
    responder = make_responder(subject="Merci {{ name }}", body="Bonjour & {{ name }}", double_opt_in=True)
    page = owner_client.get(f"/dashboard/keys/{responder.key_id}").get_data(as_text=True)
    assert 'value="Merci {{ name }}"' in page and "Bonjour &amp; {{ name }}" in page
    assert '<input checked id="double_opt_in" name="double_opt_in" type="checkbox" value="y">' in page
    assert '<input checked id="enabled" name="enabled" type="checkbox" value="y">' in page
    assert 'id="autoresponder-idle"' not in page  # it sends: the key requires a challenge and the instance allows


def test_the_form_needs_csrf(ar_app, make_key, owner_client):
    key_id = _key_id(ar_app, make_key("owner@example.com", kind="publishable"))
    refused = owner_client.post(f"/dashboard/keys/{key_id}/autoresponder",
                                data={"enabled": "y", "subject": "Hi", "body": "Hello"})
    assert refused.status_code == 400 and table_count(ar_app, Autoresponder) == 0


def test_secret_keys_have_no_autoresponder(ar_app, make_key, owner_client):
    key_id = _key_id(ar_app, make_key("owner@example.com"))
    page = owner_client.get(f"/dashboard/keys/{key_id}")
    assert page.status_code == 200 and "autoresponder-title" not in page.get_data(as_text=True)
    refused = owner_client.post(f"/dashboard/keys/{key_id}/autoresponder",
                                data={"csrf_token": csrf_from(page), "subject": "Hi", "body": "Hello"})
    assert refused.status_code == 404 and table_count(ar_app, Autoresponder) == 0


def test_another_accounts_key_is_not_found(ar_app, make_key, owner_client):
    key_id = _key_id(ar_app, make_key("someone-else@example.com", kind="publishable"))
    assert owner_client.get(f"/dashboard/keys/{key_id}").status_code == 404
