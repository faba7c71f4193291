"""Dashboard overview, the page after sign-in: activity per key, and a test submission through a key."""
from datetime import datetime, timezone

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from .. import inbox, keys, overview, storage
from . import bp
from .signin import account_required


@bp.get("/dashboard")
@account_required
def dashboard():
    today = datetime.now(timezone.utc).date()
    return render_template("keyring/overview.html", activity=overview.activity(g.account.id, today),
                           unread=inbox.unread_count(g.account.id), days=overview.DAYS)


@bp.post("/dashboard/keys/<key_id>/test")
@account_required
def send_test_submission(key_id):
    key = keys.key_of(g.account.id, key_id)
    if key is None:
        abort(404)
    if key.status != "active":
        flash("Enable this key first: a disabled key refuses submissions.", "error")
    else:
        source = storage.Source(current_app.config["BASE_URL"] + url_for("keyring.dashboard"),
                                 request.headers.get("User-Agent"))
        overview.send_test(key, g.account.email, source)
        flash(f"A test submission from {g.account.email} arrived through {key.name or key.display}.")
    return redirect(url_for("keyring.dashboard"), 303)
