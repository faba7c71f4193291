"""The pages a form's visitor sees: the site owner's, not ours (no operator menu), a way back, plain words,
the visitor's language."""
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from contactapi import visitors
from tests.forms.conftest import SITE

OPERATOR_MENU = ("Get a key", "Manage my keys", "contactapi")


def refused_post(client, key, **headers):
    return client.post("/v1/contacts", data={"access_key": key, "email": "a@example.com"},
                       headers={"Accept": "text/html", **headers})


def test_the_error_page_belongs_to_the_site(client, pub_key):
    page = refused_post(client, pub_key, Origin="https://evil.net", Referer="https://evil.net/contact.html")
    text = page.get_data(as_text=True)
    assert page.status_code == 403 and "This form only accepts messages from its own website." in text
    assert not [word for word in OPERATOR_MENU if word in text]
    assert '<a href="https://evil.net/contact.html" rel="noreferrer">Back to the site</a>' in text
    assert "Verification key" not in text  # no developer wording


@pytest.mark.parametrize("language, words, back", [
    ("de-DE,de;q=0.9,en;q=0.5", "Dieses Formular nimmt nur Nachrichten von seiner eigenen Website an.",
     "Zurück zur Website"),
    ("fr-CA,fr;q=0.8", "Ce formulaire n’accepte que les messages envoyés depuis son propre site.", "Retour au site"),
    ("es", "Este formulario solo acepta mensajes desde su propio sitio web.", "Volver al sitio"),
    ("ja,en;q=0.5", "This form only accepts messages from its own website.", "Back to the site"),
])
def test_the_error_page_speaks_the_visitors_language(client, pub_key, language, words, back):
    page = refused_post(client, pub_key, Origin="https://evil.net", **{"Accept-Language": language})
    text = page.get_data(as_text=True)
    assert words in text and back in text and f'<html lang="{language[:2] if language[:2] != "ja" else "en"}">' in text


def test_the_back_link_falls_back_to_the_sites_home(client, make_key):
    locked = make_key(kind="publishable", domains=["shop.test"])
    page = refused_post(client, locked).get_data(as_text=True)  # no Origin, no Referer: the key's own site
    assert 'href="https://shop.test/"' in page


@pytest.mark.parametrize("referer", ["javascript:alert(1)", "data:text/html,x", "JAVASCRIPT:alert(1)"])
def test_the_back_link_is_never_script(referer):
    assert visitors.back_link(referer, None) is None
    assert visitors.back_link(referer, "https://shop.test") == "https://shop.test"


def test_the_thank_you_page(client, pub_key):
    landed = client.post("/v1/contacts", data={"access_key": pub_key, "email": "a@example.com"},
                         headers={"Accept": "text/html", "Origin": SITE})
    page = client.get(landed.headers["Location"], headers={"Referer": SITE + "/", "Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Merci !" in text and "Votre message a bien été envoyé." in text
    assert f'href="{SITE}/"' in text and not [word for word in OPERATOR_MENU if word in text]


def test_the_thank_you_page_without_a_referer_links_to_the_keys_site(client, pub_key):
    landed = client.post("/v1/contacts", data={"access_key": pub_key, "email": "a@example.com"},
                         headers={"Accept": "text/html", "Origin": SITE})
    assert 'href="https://example.com/"' in client.get(landed.headers["Location"]).get_data(as_text=True)


def test_the_catalogs_are_compiled(app):
    """The committed .mo files say what the .po files say (run `make translations` after editing a .po)."""
    import os

    folder = os.path.join(app.root_path, "translations")
    for language in ("de", "fr", "es"):
        with open(os.path.join(folder, language, "LC_MESSAGES", "messages.po"), "rb") as po, \
                open(os.path.join(folder, language, "LC_MESSAGES", "messages.mo"), "rb") as mo:
            source, compiled = read_po(po), read_mo(mo)
        wanted = {m.id: m.string for m in source if m.id and m.string}
        assert wanted and {m.id: m.string for m in compiled if m.id} == wanted


@pytest.mark.parametrize("path", ["/f/ck_pub_anything", "/submit", "/api/contact-api/"])
def test_opening_a_doors_address_shows_the_visitor_a_page_not_an_error(client, path):
    page = client.get(path, headers={"Accept": "text/html", "Accept-Language": "de",
                                     "Referer": "https://shop.example/contact"})
    text = page.get_data(as_text=True)
    assert page.status_code == 405 and set(page.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert "Das ist die Adresse eines Formulars" in text and "Zurück zur Website" in text
    assert not [word for word in OPERATOR_MENU if word in text]


def test_a_json_caller_opening_a_doors_address_gets_the_error_shape(client):
    answer = client.get("/f/ck_pub_anything", headers={"Accept": "application/json"})
    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert answer.get_json() == {"error": {"message": "Method not allowed.", "code": "method_not_allowed"}}
