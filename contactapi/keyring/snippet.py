"""The form snippet of a publishable key, and the one page that ever shows a new key in full."""
from urllib.parse import urlencode

from flask import current_app, render_template

from ..captchas import PROVIDERS

# The ALTCHA widget (npm `altcha` 3.x speaks the v2 protocol of our `altcha` 2.x package: keep them a pair).
ALTCHA_SCRIPT = "https://cdn.jsdelivr.net/npm/altcha@3.2.2/dist/main/altcha.min.js"


def form_snippet(public_key, challenge=None, site_key=None):
    """HTML text (to be shown escaped, never rendered) of a form that posts to /v1/contacts, with the widget
    of the key's challenge, if it requires one."""
    base = current_app.config["BASE_URL"]
    return render_template(
        "keyring/snippet.txt", action=base + "/v1/contacts", access_key=public_key, challenge=challenge,
        challenge_url=f"{base}/v1/challenge?{urlencode({'key': public_key})}", altcha_script=ALTCHA_SCRIPT,
        provider=PROVIDERS.get(challenge), site_key=site_key or "").strip() + "\n"


def key_created_page(key, raw):
    """The only page that ever shows a new key in full; never cached."""
    snippet = form_snippet(raw) if key.kind == "publishable" else None
    response = current_app.make_response(render_template("keyring/key_created.html", key=key, raw=raw,
                                                         snippet=snippet))
    response.headers["Cache-Control"] = "no-store"
    return response
