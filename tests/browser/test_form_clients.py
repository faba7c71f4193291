"""Forms and scripts written for other services, on a customer's site (another origin), in Chromium:
@formspree/core as an ES module with its real CORS preflight, codefreeform's fetch, a Web3Forms-style and a
Formspree-style HTML form, and a domain-locked key used from the wrong site. Set CONTACTAPI_SCREENSHOTS to a
folder to keep screenshots of each visitor page at 1280 and 390 px wide."""
import os

import pytest
import requests

from tests.npm import package_path
from tests.ports import free_port

pytestmark = pytest.mark.slow

FORMSPREE_MODULE = """
<h1>Formspree client</h1>
<script type="module">
  import { createClient } from "/node_modules/@formspree/core/dist/index.mjs";
  const client = createClient();
  window.submit = async (endpoint, key, data) => {
    const result = await client.submitForm(key, data, { endpoint });
    return result.kind === "success" ? { kind: "success", next: result.next }
      : { kind: result.kind, form: result.getFormErrors(), email: result.getFieldErrors("email") };
  };
  window.ready = true;
</script>"""

CODEFREEFORM_FETCH = """async ([url, key]) => {
  const response = await fetch(url, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({access_key: key, email: "cff@example.com", message: "Hi", subject: "From codefreeform"}),
  });
  return {status: response.status, body: await response.json()};
}"""


def html_form(action, fields, extra=""):
    hidden = "".join(f'<input type="hidden" name="{name}" value="{value}">' for name, value in fields.items())
    return (f'<form method="post" action="{action}">{hidden}{extra}'
            '<input type="email" name="email"><textarea name="message"></textarea>'
            '<button type="submit">Send</button></form>')


@pytest.fixture
def site(gunicorn, make_key, customer_site, tmp_path, npm_dir):
    port = free_port()
    base = gunicorn(workers=2, port=port, BASE_URL=f"http://127.0.0.1:{port}")  # the links we give out
    write, port = customer_site
    (tmp_path / "node_modules").symlink_to(os.path.join(npm_dir, "node_modules"))
    key = make_key("owner@example.com", kind="publishable", domains=["localhost"])
    secret = make_key("owner@example.com")
    allowed, foreign = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    write("index.html", "<h1>The shop's home</h1>")
    write("formspree.html", FORMSPREE_MODULE)
    write("app.html", "<h1>codefreeform</h1>")
    write("web3forms.html", html_form(f"{base}/submit", {"access_key": key, "subject": "Web3Forms lead"},
                                      '<input type="checkbox" name="botcheck" hidden>'))
    write("formspree-form.html", html_form(f"{base}/f/{key}", {"_next": f"{allowed}/merci.html"}))
    write("formspree-plain.html", html_form(f"{base}/f/{key}", {}))
    write("merci.html", "<h1>Merci from the shop</h1>")

    def stored():
        listing = requests.get(base + "/v1/contacts", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        return {c["email"]: c for c in listing.json()["data"]}

    return {"base": base, "key": key, "allowed": allowed, "foreign": foreign, "stored": stored}


def screenshots(page, name):
    folder = os.environ.get("CONTACTAPI_SCREENSHOTS")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=os.path.join(folder, f"{name}-{width}.png"), full_page=True)


def send(page, url, email, message):
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("textarea[name=message]", message)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_other_services_clients_work(site, browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    base, key, allowed, foreign = site["base"], site["key"], site["allowed"], site["foreign"]

    # @formspree/core as an ES module from the shop: the preflight carries its own headers.
    page.goto(allowed + "/formspree.html")
    page.wait_for_function("window.ready === true")
    ok = page.evaluate("([b, k]) => submit(b, k, {email: 'module@example.com', message: 'Hi'})", [base, key])
    assert ok["kind"] == "success" and ok["next"].startswith(base + "/thanks")
    invalid = page.evaluate("([b, k]) => submit(b, k, {email: 'nope'})", [base, key])
    assert invalid["kind"] == "error" and invalid["email"][0]["code"] == "TYPE_EMAIL"

    # codefreeform's fetch() to /api/contact-api/.
    page.goto(allowed + "/app.html")
    answer = page.evaluate(CODEFREEFORM_FETCH, [base + "/api/contact-api/", key])
    assert answer == {"status": 200, "body": {"success": True, "message": "Thank you! Your message has been received."}}

    # A Web3Forms-style HTML form: our thank-you page, with a way back to the shop.
    send(page, allowed + "/web3forms.html", "w3f@example.com", "From the Web3Forms form")
    page.wait_for_url(base + "/thanks?k=key_*")
    assert page.inner_text("h1") == "Thank you!"
    screenshots(page, "thanks")
    page.click("text=Back to the site")
    page.wait_for_url(allowed + "/")
    assert page.inner_text("h1") == "The shop's home"

    # Formspree-style HTML forms: to _next on the shop, or to our thank-you page.
    send(page, allowed + "/formspree-form.html", "fs@example.com", "From the Formspree form")
    page.wait_for_url(allowed + "/merci.html")
    send(page, allowed + "/formspree-plain.html", "fs2@example.com", "Plain")
    page.wait_for_url(base + "/thanks?k=key_*")

    # The same form on another site: the visitor page, in plain words, with the way back.
    send(page, foreign + "/formspree-plain.html", "eve@example.com", "Hi")
    assert page.inner_text("h1") == "Your message was not sent"
    assert "This form only accepts messages from its own website." in page.inner_text("main")
    assert "Manage my keys" not in page.content()
    screenshots(page, "error")
    page.click("text=Back to the site")
    page.wait_for_url(foreign + "/")
    assert page.inner_text("h1") == "The shop's home"

    # In German, for a German visitor.
    german = browser.new_context(locale="de-DE", extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"}).new_page()
    send(german, foreign + "/formspree-plain.html", "eve@example.com", "Hallo")
    assert german.inner_text("h1") == "Ihre Nachricht wurde nicht gesendet"
    screenshots(german, "error-de")
    german.context.close()

    stored = site["stored"]()
    assert set(stored) == {"module@example.com", "cff@example.com", "w3f@example.com", "fs@example.com",
                           "fs2@example.com"}
    assert stored["cff@example.com"]["subject"] == "From codefreeform"
    assert "subject" not in stored["w3f@example.com"] and "botcheck" not in stored["w3f@example.com"]
    context.close()
