"""Dashboard sign-ins are checked on the server: signing out ends this browser's sign-in (a copied cookie
too), "Sign out everywhere" ends every browser's, and a sign-in ends a fixed time after it began."""
import re
import time
from datetime import timedelta

from tests.keyring.helpers import csrf_from


def _is_signed_in(client):
    response = client.get("/dashboard/keys")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _copy_of(client, app):
    """A second client holding the same session cookie (a stolen or copied cookie)."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_signing_out_ends_this_browsers_sign_in_copies_of_the_cookie_included(app, client, sign_in):
    sign_in(client)
    other_browser = sign_in(app.test_client())
    copied = _copy_of(client, app)
    assert _is_signed_in(copied)

    page = client.get("/dashboard/keys")
    assert client.post("/signout", data={"csrf_token": csrf_from(page)}).status_code == 303

    assert not _is_signed_in(client)
    assert not _is_signed_in(copied)  # the old cookie no longer opens the dashboard
    assert _is_signed_in(other_browser)  # another browser's sign-in is its own


def test_sign_out_everywhere_ends_every_browsers_sign_in(app, client, sign_in):
    sign_in(client)
    laptop, phone = sign_in(app.test_client()), sign_in(app.test_client())
    someone_else = sign_in(app.test_client(), "other@example.com")

    page = client.get("/dashboard/keys")
    assert "Sign out everywhere" in page.get_data(as_text=True)
    response = client.post("/signout/everywhere", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin")
    assert "signed out on every browser" in client.get("/signin").get_data(as_text=True)

    assert [_is_signed_in(c) for c in (client, laptop, phone)] == [False, False, False]
    assert _is_signed_in(someone_else)


def test_sign_out_everywhere_needs_the_pages_csrf_token(app, client, sign_in):
    sign_in(client)
    assert client.post("/signout/everywhere").status_code == 400
    assert _is_signed_in(client)


def test_a_sign_in_ends_at_a_fixed_time_that_activity_cannot_slide(make_app, sign_in, make_key):
    lifetime = 2
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=lifetime))
    make_key("owner@example.com", "publishable")
    client = sign_in(app.test_client())
    started = time.monotonic()
    key_id = re.search(r"/dashboard/keys/(key_[a-z0-9]+)", client.get("/dashboard/keys").get_data(as_text=True))[1]
    key_page = client.get(f"/dashboard/keys/{key_id}")
    # Requests that renew the cookie (each sets a flash message, shown by the next page) through the sign-in's life.
    while time.monotonic() - started < lifetime - 0.5:
        flashed = client.post(f"/dashboard/keys/{key_id}/notify", data={"csrf_token": csrf_from(key_page), "notify": "on"})
        assert flashed.status_code == 303 and "Set-Cookie" in flashed.headers
        assert "You will get an email" in client.get(f"/dashboard/keys/{key_id}").get_data(as_text=True)
        time.sleep(0.2)
    assert _is_signed_in(client)
    time.sleep(max(0, lifetime + 0.3 - (time.monotonic() - started)))
    assert not _is_signed_in(client)
