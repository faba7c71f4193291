"""The pages an autoresponse links to (confirm, stop) lead back to the site where the visitor submitted, like
every visitor page: they come from an email, with no Referer, so the way back is the page their submission
was sent from, else its key's site, else the account's only site; never a link that is not http(s)."""
from contactapi import accounts, keys, people
from contactapi.autoresponders import links
from contactapi.extensions import db
from contactapi.models import Submission
from tests.autoresponders.conftest import confirm_path, mail_to, submit

FRENCH = {"Accept-Language": "fr"}


def pages_of(app, address):
    """(the confirm path, the stop path) of the autoresponse mailed to address."""
    [mail] = mail_to(app, address)
    return confirm_path(mail), mail["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")


def stored_pages(app):
    with app.app_context():
        pages = [page for (page,) in db.session.query(Submission.page)]
        db.session.remove()
    return pages


def shown(app, path):
    """The page at path, seen (GET) then pressed (POST), in French."""
    client = app.test_client()
    return [answer(path, headers=FRENCH) for answer in (client.get, client.post)]


def submitted_from(app, responder, page):
    """Post as ada@example.com from page (stored as sent); the confirm and stop pages mailed to her, each
    seen and pressed, as HTML."""
    assert submit(app, responder.raw, referer=page, email="ada@example.com").status_code == 201
    assert stored_pages(app) == [page]
    answers = [answer for path in pages_of(app, "ada@example.com") for answer in shown(app, path)]
    assert all(answer.status_code == 200 for answer in answers)
    return [answer.get_data(as_text=True) for answer in answers]


def test_the_confirm_and_stop_pages_lead_back_to_the_page_submitted_from(ar_app, make_responder):
    pages = submitted_from(ar_app, make_responder(double_opt_in=True), "https://example.com/contact?from=mail&lang=fr")
    for html in pages:
        assert '<html lang="fr">' in html, html
        assert '<a href="https://example.com/contact?from=mail&amp;lang=fr" rel="noreferrer">Retour au site</a>' in html


def test_a_hostile_stored_page_never_becomes_a_link(ar_app, make_responder):
    hostile = "javascript:alert(document.domain)//https://example.com/"
    for html in submitted_from(ar_app, make_responder(double_opt_in=True), hostile):
        assert "javascript:" not in html and "Retour au site" not in html, html


def test_a_stop_link_naming_no_contact_leads_to_the_account_only_site(ar_app, make_key):
    make_key("owner@example.com", kind="publishable", domains=["shop.example", "www.shop.example"])
    with ar_app.app_context():
        account_id = accounts.get_or_create_account("owner@example.com").id
        stop = links.stop_url(account_id, people.address_digest("ada@example.com")).split("/", 3)[3]
        db.session.remove()
    for answer in shown(ar_app, "/" + stop):
        assert '<a href="https://shop.example/" rel="noreferrer">Retour au site</a>' in answer.get_data(as_text=True)
    make_key("owner@example.com", kind="publishable", domains=["blog.example"])  # two sites: which one?
    for answer in shown(ar_app, "/" + stop):
        assert answer.status_code == 200 and "Retour au site" not in answer.get_data(as_text=True)


def test_a_confirmation_link_that_no_longer_applies_still_leads_back(ar_app, make_responder, make_key):
    """The owner changed the contact's address: the link confirms nothing (410), but its reader wrote from the
    site and gets back to it."""
    page = "https://example.com/contact"
    responder = make_responder(double_opt_in=True)
    assert submit(ar_app, responder.raw, referer=page, email="ada@example.com").status_code == 201
    confirm, _stop = pages_of(ar_app, "ada@example.com")
    api = ar_app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_key('owner@example.com')}"
    [contact] = api.get("/v1/contacts?email=ada@example.com").get_json()["data"]
    assert api.patch(f"/v1/contacts/{contact['id']}", json={"email": "zed@example.com"}).status_code == 200
    for answer in shown(ar_app, confirm):
        html = answer.get_data(as_text=True)
        assert answer.status_code == 410 and 'id="no-longer-applies"' in html, html
        assert f'<a href="{page}" rel="noreferrer">Retour au site</a>' in html, html
