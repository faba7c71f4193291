"""The dashboard session: who is signed in, set only by an emailed sign-in link and checked on the server
(contactapi.sign_ins) on every request, so signing out and expiry cannot be undone by the browser."""
from functools import wraps

from flask import flash, g, redirect, session, url_for

from .. import sign_ins
from . import bp

TOKEN = "sign_in"  # the session cookie's entry naming the server-side sign-in


def sign_in_as(account):
    session.clear()  # nothing from before the sign-in carries over
    session[TOKEN] = sign_ins.start(account)
    session["account_id"] = account.id
    session["email"] = account.email


def sign_out():
    """End this browser's sign-in on the server (copies of its cookie stop working too)."""
    sign_ins.end(session.get(TOKEN))
    session.clear()


def sign_out_everywhere(account):
    sign_ins.end_all(account.id)
    session.clear()


def account_required(view):
    """Run view with g.account, the signed-in account; others are sent to the sign-in page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        account = sign_ins.account_for(session.get(TOKEN))
        if account is None:
            session.clear()
            flash("Please sign in to manage your keys.")
            return redirect(url_for("keyring.sign_in"))
        g.account = account
        return view(*args, **kwargs)

    return wrapper


@bp.after_request
def _keep_private_pages_out_of_caches(response):
    # Dashboard pages hold contacts' data: the back button after signing out must not show them.
    if "account" in g:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
