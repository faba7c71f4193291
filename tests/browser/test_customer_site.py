"""The snippet on a real customer site: a static page served from its own port, Debian's chromium filling and
submitting it to a real gunicorn. http://localhost:<port> is the customer's site (the key's domain);
http://127.0.0.1:<port> serves the very same files but is another host, so the key must refuse it."""
import pytest
import requests

pytestmark = pytest.mark.slow

from contactapi.keyring.snippet import form_snippet


@pytest.fixture
def setup(gunicorn, make_app, make_key, customer_site):
    """The service, a key locked to localhost, the snippet for it on the site, and a secret key to look."""
    base = gunicorn(workers=2)
    write, port = customer_site
    public_key = make_key("owner@example.com", kind="publishable", domains=["localhost"])
    secret_key = make_key("owner@example.com")
    with make_app(BASE_URL=base).app_context():
        snippet = form_snippet(public_key)  # exactly what the dashboard shows the owner
    assert f'action="{base}/v1/contacts"' in snippet and public_key in snippet and 'name="_gotcha"' in snippet
    allowed, foreign = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    write("contact.html", f"<h1>Contact us</h1>{snippet}")
    next_input = f'<input type="hidden" name="_next" value="{allowed}/merci.html">'
    write("contact-next.html", snippet.replace("</form>", next_input + "</form>"))
    write("merci.html", "<h1>Merci from the shop</h1>")
    write("app.html", "<h1>A page with JavaScript</h1>")

    def contacts():
        listing = requests.get(base + "/v1/contacts", headers={"Authorization": f"Bearer {secret_key}"}, timeout=10)
        return listing.json()["data"]

    return {"base": base, "key": public_key, "allowed": allowed, "foreign": foreign, "contacts": contacts}


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def fill_and_send(page, url, email, message):
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("textarea[name=message]", message)
    page.click("button[type=submit]")
    page.wait_for_load_state()


FETCH = """async ([url, key]) => {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
      body: JSON.stringify({email: "fetch@example.com", plan: "pro"}),
    });
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {error: error.name};
  }
}"""


def test_the_snippet_on_a_customer_site(setup, page):
    """One server for the whole journey (starting gunicorn is the slow part)."""
    base, allowed, foreign, contacts = setup["base"], setup["allowed"], setup["foreign"], setup["contacts"]

    # 1. A visitor sends the form on the key's site: stored, and the hosted thank-you page.
    fill_and_send(page, allowed + "/contact.html", "Visitor@Example.com", "Hello from the shop")
    page.wait_for_url(base + "/thanks?k=key_*")
    assert "Thank you" in page.inner_text("h1")
    [contact] = contacts()
    assert contact["email"] == "visitor@example.com" and contact["message"] == "Hello from the shop"
    assert not {"access_key", "_gotcha", "_next"} & set(contact)

    # 2. With _next on the site, the visitor goes back there.
    fill_and_send(page, allowed + "/contact-next.html", "ada@example.com", "Hi")
    page.wait_for_url(allowed + "/merci.html")
    assert page.inner_text("h1") == "Merci from the shop"

    # 3. The very same page served from another host is refused, and nothing is stored.
    fill_and_send(page, foreign + "/contact.html", "eve@example.com", "Hi")
    page.wait_for_url(base + "/v1/contacts")
    assert "This form only accepts messages from its own website." in page.inner_text("main")

    # 4. fetch() with the publishable key: allowed through CORS from the site, refused (readably) elsewhere.
    page.goto(allowed + "/app.html")
    result = page.evaluate(FETCH, [base + "/v1/contacts", setup["key"]])
    assert result["status"] == 201 and result["body"]["plan"] == "pro"
    page.goto(foreign + "/app.html")
    refused = page.evaluate(FETCH, [base + "/v1/contacts", setup["key"]])  # the page may read why, nothing more
    assert refused == {"status": 403, "body": {"error": {"code": "domain_mismatch",
                                                         "message": "Verification key domain mismatch."}}}

    assert sorted(c["email"] for c in contacts()) == ["ada@example.com", "fetch@example.com", "visitor@example.com"]
