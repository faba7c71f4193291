"""The key page sets a key's challenge (CSRF form), never shows a provider secret again in full, and its
snippet carries the widget."""
import html

from contactapi import sealed
from contactapi.extensions import db
from contactapi.models import ApiKey
from tests.keyring.helpers import keys_of, post_form

SECRET = "0x4AAAAAAA-the-provider-secret-9f3c"


def _key(app, key_id):
    with app.app_context():
        key = db.session.get(ApiKey, key_id)
        values = (key.challenge, key.challenge_site_key, key.challenge_secret, key.challenge_threshold,
                  key.public_value)
        db.session.remove()
    return values


def test_the_owner_chooses_altcha_and_the_snippet_shows_its_widget(app, owner):
    post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="publishable", name="Shop", domains="")
    [(key_id, *_rest)] = keys_of(app, "owner@example.com")
    page = f"/dashboard/keys/{key_id}"
    assert post_form(owner, page, f"{page}/challenge", kind="altcha").status_code == 303
    challenge, site_key, secret, _threshold, raw = _key(app, key_id)
    assert (challenge, site_key, secret) == ("altcha", None, None)
    text = html.unescape(owner.get(page).get_data(as_text=True))
    assert f'<altcha-widget challenge="http://localhost/v1/challenge?key={raw}"></altcha-widget>' in text
    assert "altcha@3.2.2/dist/main/altcha.min.js" in text


def test_a_provider_secret_is_sealed_and_shown_masked(app, owner):
    post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="publishable", name="Shop", domains="")
    [(key_id, *_rest)] = keys_of(app, "owner@example.com")
    page = f"/dashboard/keys/{key_id}"
    refused = post_form(owner, page, f"{page}/challenge", kind="turnstile", site_key="0x4AAAsite", secret="")
    assert refused.status_code == 400 and "secret key" in refused.get_data(as_text=True)
    saved = post_form(owner, page, f"{page}/challenge", kind="recaptcha_v3", site_key="6Lsite", secret=SECRET,
                      threshold="0.7")
    assert saved.status_code == 303
    challenge, site_key, secret, threshold, _raw = _key(app, key_id)
    assert (challenge, site_key, threshold) == ("recaptcha_v3", "6Lsite", 0.7)
    with app.app_context():
        assert SECRET not in secret and sealed.unseal(secret) == SECRET
    text = html.unescape(owner.get(page).get_data(as_text=True))
    assert SECRET not in text and "…9f3c" in text
    assert "https://www.google.com/recaptcha/api.js?render=6Lsite" in text


def test_the_challenge_form_needs_its_csrf_token(app, owner):
    post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="publishable", name="Shop", domains="")
    [(key_id, *_rest)] = keys_of(app, "owner@example.com")
    answer = owner.post(f"/dashboard/keys/{key_id}/challenge", data={"kind": "altcha"})
    assert answer.status_code == 400 and _key(app, key_id)[0] is None


def test_secret_keys_have_no_challenge_form(app, owner):
    post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="secret", name="Backend", domains="")
    [(key_id, *_rest)] = keys_of(app, "owner@example.com")
    page = f"/dashboard/keys/{key_id}"
    assert "Challenge for visitors" not in owner.get(page).get_data(as_text=True)
    assert post_form(owner, page, f"{page}/challenge", kind="altcha").status_code == 404
    assert _key(app, key_id)[0] is None
