"""The form snippet of a publishable key, and the one page that ever shows a new key in full."""
from flask import current_app, render_template


def form_snippet(public_key):
    """HTML text (to be shown escaped, never rendered) of a form that posts to /v1/contacts."""
    action = current_app.config["BASE_URL"] + "/v1/contacts"
    return render_template("keyring/snippet.txt", action=action, access_key=public_key).strip() + "\n"


def key_created_page(key, raw):
    """The only page that ever shows a new key in full; never cached."""
    snippet = form_snippet(raw) if key.kind == "publishable" else None
    response = current_app.make_response(render_template("keyring/key_created.html", key=key, raw=raw,
                                                         snippet=snippet))
    response.headers["Cache-Control"] = "no-store"
    return response
