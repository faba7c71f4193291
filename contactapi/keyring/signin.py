"""The dashboard session: who is signed in, set only by an emailed sign-in link."""
from functools import wraps

from flask import flash, g, redirect, request, session, url_for

from ..extensions import db
from ..models import Account
from . import bp


def sign_in_as(account):
    session.clear()  # nothing from before the sign-in carries over
    session["account_id"] = account.id
    session["email"] = account.email


def sign_out():
    session.clear()


def account_required(view):
    """Run view with g.account, the signed-in account; others are sent to the sign-in page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        account_id = session.get("account_id")
        account = db.session.get(Account, account_id) if isinstance(account_id, int) else None
        if account is None:
            session.clear()
            flash("Please sign in to manage your keys.")
            # Back to the page asked for after signing in (see links.landing_page).
            asked = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("keyring.sign_in", next=asked))
        g.account = account
        return view(*args, **kwargs)

    return wrapper


@bp.after_request
def _keep_private_pages_out_of_caches(response):
    # Dashboard pages hold contacts' data: the back button after signing out must not show them.
    if "account" in g:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
