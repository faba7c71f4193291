"""The contacts pages of the dashboard: newest first, search, one contact, delete, export; only one's own."""
import csv
import io
import json
import re

import pytest

from tests.keyring.helpers import post_form


@pytest.fixture
def add_contact(client, make_key):
    """add_contact(payload, owner="owner@example.com") → the contact as the API answered it."""
    secrets = {}

    def _add(payload, owner="owner@example.com"):
        if owner not in secrets:
            secrets[owner] = make_key(owner, "secret")
        response = client.post("/v1/contacts", json=payload, headers={"Authorization": f"Bearer {secrets[owner]}"})
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    return _add


def emails_on(page):
    found = re.findall(r'<a href="/dashboard/contacts/con_[a-z0-9]+">(.*?)</a>', page.get_data(as_text=True))
    return [re.sub(r"<[^>]+>", "", html) for html in found]  # the address, without its <wbr> break points


def test_contacts_newest_first_with_pages(owner, add_contact):
    for n in range(25):
        add_contact({"email": f"person{n:02d}@example.com"})
    first = emails_on(owner.get("/dashboard/contacts"))
    assert first == [f"person{n:02d}@example.com" for n in range(24, 4, -1)]
    page = owner.get("/dashboard/contacts?page=2")
    assert emails_on(page) == [f"person{n:02d}@example.com" for n in range(4, -1, -1)]
    assert "Page 2 of 2" in page.get_data(as_text=True)
    assert emails_on(owner.get("/dashboard/contacts?page=9")) == []


@pytest.mark.parametrize("query", ["page=0", "page=x", "page_size=500"])
def test_a_bad_page_number_is_400(owner, query):
    assert owner.get(f"/dashboard/contacts?{query}").status_code == 400


def test_search_is_partial_and_case_insensitive_over_emails_and_text(owner, add_contact):
    add_contact({"email": "ada.lovelace@example.com", "message": "About the Analytical Engine"})
    add_contact({"email": "bob@example.org", "message": "A visitor asks for a quote"})
    assert emails_on(owner.get("/dashboard/contacts?q=LOVEL")) == ["ada.lovelace@example.com"]
    assert emails_on(owner.get("/dashboard/contacts?q=example.org")) == ["bob@example.org"]
    assert emails_on(owner.get("/dashboard/contacts?q=visit")) == ["bob@example.org"]
    assert emails_on(owner.get("/dashboard/contacts?q=analytical+ada")) == ["ada.lovelace@example.com"]
    add_contact({"email": "cafe@example.com", "message": "CAFÉ NOIR"})
    assert emails_on(owner.get("/dashboard/contacts?q=é")) == ["cafe@example.com"]  # short, not ASCII: folded too
    missing = owner.get("/dashboard/contacts?q=zed")
    assert missing.status_code == 200 and "No contact matches" in missing.get_data(as_text=True)


@pytest.mark.parametrize("query, sentence", [
    ("one two three four five six seven eight zzzzz", "Search for at most 8 words"),
    ("one " + "x" * 197, "Search for at most 200 characters")])
def test_a_search_too_long_to_run_is_400_on_the_page_and_its_export(owner, add_contact, query, sentence):
    """Past eight words the rest was dropped without a word (finding what they excluded), past 200 characters
    the page cut the search short and its export ran it whole: each is now a 400 that says why."""
    add_contact({"email": "ada@example.com", "message": "one two three four five six seven eight"})
    for url in ("/dashboard/contacts", "/dashboard/export/json"):
        response = owner.get(url, query_string={"q": query})
        assert response.status_code == 400 and sentence in response.get_data(as_text=True)
        assert "ada@example.com" not in response.get_data(as_text=True)
    assert emails_on(owner.get("/dashboard/contacts", query_string={"q": query.rsplit(" ", 1)[0][:200]})) \
        == ["ada@example.com"]


def test_search_finds_a_contact_by_its_address_now(owner, add_contact, client, make_key):
    """Its submissions name the address it had when it posted; the search also reads the address it has."""
    contact = add_contact({"email": "first@example.com", "name": "Ada"})
    key = make_key("owner@example.com", "secret")
    assert client.patch(f"/v1/contacts/{contact['id']}", json={"email": "zelda@example.org"},
                        headers={"Authorization": f"Bearer {key}"}).status_code == 200
    add_contact({"email": "bob@example.com", "message": "zelda sent me"})
    assert emails_on(owner.get("/dashboard/contacts?q=zelda@example")) == ["zelda@example.org"]
    assert emails_on(owner.get("/dashboard/contacts?q=ZELDA")) == ["bob@example.com", "zelda@example.org"]
    exported = owner.get("/dashboard/export/json?q=zelda@example").get_json()
    assert [c["id"] for c in exported] == [contact["id"]]


def test_search_finds_an_address_in_any_spelling_the_api_accepts(owner, add_contact):
    add_contact({"email": "ada@bücher.example"})
    add_contact({"email": "josé@example.com"})
    assert emails_on(owner.get("/dashboard/contacts", query_string={"q": "ADA@XN--BCHER-KVA.EXAMPLE"})) \
        == ["ada@bücher.example"]
    assert emails_on(owner.get("/dashboard/contacts", query_string={"q": "ada@bu\u0308cher.example"})) \
        == ["ada@bücher.example"]  # decomposed (NFD), as some keyboards type it
    assert emails_on(owner.get("/dashboard/contacts", query_string={"q": "jose\u0301"})) == ["josé@example.com"]
    assert owner.get("/dashboard/inbox", query_string={"q": "ada@xn--bcher-kva.example"}).status_code == 200


def test_one_contact_with_all_fields_and_submissions_escaped(owner, add_contact):
    contact = add_contact({"email": "ada@example.com", "name": "<img src=x onerror=alert(1)>", "tags": ["a", "b"]})
    add_contact({"email": "ada@example.com", "plan": "pro"})
    page = owner.get(f"/dashboard/contacts/{contact['id']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "[&#34;a&#34;, &#34;b&#34;]" in text and "pro" in text
    assert "Submissions (2)" in text


def test_deleting_a_contact(owner, add_contact):
    contact = add_contact({"email": "ada@example.com"})
    path = f"/dashboard/contacts/{contact['id']}"
    assert owner.post(f"{path}/delete").status_code == 400  # no CSRF token: nothing happens
    assert owner.get(path).status_code == 200
    response = post_form(owner, path, f"{path}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard/contacts"
    assert owner.get(path).status_code == 404
    assert emails_on(owner.get("/dashboard/contacts")) == []


def test_another_accounts_contact_is_404_and_untouched(owner, add_contact, sign_in, app):
    theirs = add_contact({"email": "secret-lead@example.com", "note": "theirs"}, owner="someone@example.com")
    path = f"/dashboard/contacts/{theirs['id']}"
    assert owner.get(path).status_code == 404
    assert post_form(owner, "/dashboard/contacts", f"{path}/delete").status_code == 404
    assert "secret-lead" not in owner.get("/dashboard/contacts").get_data(as_text=True)
    assert emails_on(owner.get("/dashboard/contacts?q=secret-lead")) == []
    for fmt in ("csv", "json", "ndjson"):
        assert "secret-lead" not in owner.get(f"/dashboard/export/{fmt}").get_data(as_text=True)
    someone = sign_in(app.test_client(), "someone@example.com")
    assert someone.get(path).status_code == 200


def test_export_csv_is_safe_for_spreadsheets(owner, add_contact):
    add_contact({"email": "ada@example.com", "name": "=HYPERLINK(\"http://evil\")", "score": 3})
    response = owner.get("/dashboard/export/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["email"] == "ada@example.com" and rows[0]["name"] == "'=HYPERLINK(\"http://evil\")"
    assert response.get_data(as_text=True).startswith('"id","email","created_at","updated_at","confirmed_at","name","score"')


def test_export_json(owner, add_contact):
    add_contact({"email": "ada@example.com", "score": 3})
    add_contact({"email": "bob@example.com"})
    response = owner.get("/dashboard/export/json")
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert [item["email"] for item in data] == ["bob@example.com", "ada@example.com"]
    assert data[1]["score"] == 3
    assert owner.get("/dashboard/export/xml").status_code == 404
