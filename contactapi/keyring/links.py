"""Emailed links: GET shows what the link will do and changes nothing (mail scanners follow links);
the page's button, a CSRF-protected POST, does it once."""
import re

from flask import current_app, redirect, render_template, url_for

from .. import accounts, keys, magic_links
from . import bp, signin
from .snippet import key_created_page

LINK_PROBLEM_STATUS = {"invalid": 404, "expired": 410, "used": 410}


def _link_problem(error):
    return render_template("keyring/link_problem.html", reason=error.reason), LINK_PROBLEM_STATUS[error.reason]


def _at_key_limit(email):
    account = accounts.find_account(email)
    return account is not None and keys.active_key_count(account.id) >= current_app.config["MAX_ACTIVE_KEYS"]


def landing_page(next_page):
    """Where a sign-in lands: the dashboard page that was asked for, else the overview. Only a path of our
    own dashboard is followed, so a crafted link cannot send the owner elsewhere; none with a control character
    either (a CR or LF cannot be in a Location header: the sign-in would end on an error page)."""
    if isinstance(next_page, str) and re.fullmatch(r"/dashboard(/[^\\\x00-\x1f\x7f]*)?(\?[^\\\x00-\x1f\x7f]*)?",
                                                   next_page) and "//" not in next_page:
        return next_page
    return url_for("keyring.dashboard")


def _limit_page():
    message = str(keys.KeyLimitReached(current_app.config["MAX_ACTIVE_KEYS"]))
    return render_template("keyring/key_limit.html", message=message), 409


@bp.get("/link/<secret:token>")
def link(token):
    try:
        magic_link = magic_links.check(token)
    except magic_links.LinkError as error:
        return _link_problem(error)
    return render_template("keyring/link_confirm.html", link=magic_link)


@bp.post("/link/<secret:token>")
def use_link(token):
    try:
        magic_link = magic_links.check(token)
        # At the limit the link is left unused: the owner can disable a key and click again.
        if magic_link.purpose == "create_key" and _at_key_limit(magic_link.email):
            return _limit_page()
        magic_link = magic_links.consume(token)
    except magic_links.LinkError as error:
        return _link_problem(error)
    # The click proves the address: only now does the account exist.
    account = accounts.get_or_create_account(magic_link.email)
    if magic_link.purpose == "sign_in":
        signin.sign_in_as(account)
        return redirect(landing_page(magic_link.payload.get("next")), 303)
    try:
        key, raw = keys.create_key(account, magic_link.payload.get("kind", "publishable"),
                                   domains=magic_link.payload.get("domains", []))
    except keys.KeyLimitReached:  # another key was made between the check and now
        return _limit_page()
    return key_created_page(key, raw)

