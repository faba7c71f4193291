"""GET / and POST /: what contactapi is and the key request (HTML form or JSON); the sign-in request."""
import math

from flask import current_app, flash, g, redirect, render_template, request, url_for

from .. import mail_limits
from ..errors import FORM_TYPES, codefreeform_error, html_error, wants_json
from ..extensions import csrf
from ..payloads import PayloadError, parse_json_object
from ..ratelimits import limit_mail_doors, seconds_until_reset
from . import bp, emails, key_requests, links, signin
from .forms import KeyRequestForm, SignInForm


def _json_body():
    """The request's JSON object; PayloadError if bad."""
    return parse_json_object(request.get_data(), current_app.config["MAX_JSON_DEPTH"])


# Both doors that send links share one budget per client IP (ratelimits.limit_mail_doors). What one address may receive is counted apart,
# in the database (mail_limits): past it, the answer is the same and no mail goes, so nobody can bomb an inbox.


def _answer(key_request):
    """Send the mail the request asks for, if its inbox has not had its share; the confirmation either way."""
    if mail_limits.spend(key_request.email):
        key_requests.fulfil(key_request)
    return key_requests.confirmation(key_request)


@bp.get("/")
def index():
    return render_template("keyring/index.html", form=KeyRequestForm())


@bp.post("/")
@csrf.exempt  # JSON requests carry no cookies; form posts are checked below
@limit_mail_doors
def request_key():
    if request.is_json:
        return _answer_json()
    if request.mimetype not in FORM_TYPES:
        return codefreeform_error(415, "Send JSON (Content-Type: application/json) or the form on this page.")
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    form = KeyRequestForm()
    if not form.validate():
        return render_template("keyring/index.html", form=form), 400
    key_request = key_requests.KeyRequest(form.email.data, form.request_type.data, form.kind.data,
                                          tuple(form.domains.data))
    return render_template("keyring/sent.html", message=_answer(key_request))


def _answer_json():
    try:
        key_request = key_requests.from_json(_json_body())
    except PayloadError as error:
        return codefreeform_error(error.status, error.message)
    except key_requests.InvalidKeyRequest as error:
        return codefreeform_error(400, str(error), error.errors)
    return {"success": True, "message": _answer(key_request)}


@bp.route("/signin", methods=["GET", "POST"])
@limit_mail_doors
def sign_in():
    """The "Manage my keys" page: an emailed sign-in link."""
    form = SignInForm()
    next_page = links.landing_page(request.values.get("next"))
    if request.method == "GET":
        return render_template("keyring/signin.html", form=form, next_page=next_page)
    if not form.validate():
        return render_template("keyring/signin.html", form=form, next_page=next_page), 400
    if mail_limits.spend(form.email.data):
        emails.send_sign_in(form.email.data, next_page)
    message = (f"Check your inbox at {form.email.data}: we sent a sign-in link. "
               f"It works once, within {emails.link_minutes()} minutes.")
    return render_template("keyring/sent.html", message=message)


@bp.post("/signout")
def sign_out():
    signin.sign_out()
    return redirect(url_for("keyring.index"), 303)


@bp.post("/signout/everywhere")
@signin.account_required
def sign_out_everywhere():
    signin.sign_out_everywhere(g.account)
    flash("You are signed out on every browser. Sign in again with a new link.")
    return redirect(url_for("keyring.sign_in"), 303)


@bp.errorhandler(429)
def too_many_requests(_error):
    seconds = seconds_until_reset()
    minutes = max(1, math.ceil(seconds / 60)) if seconds is not None else None
    wait = f"in about {minutes} minute{'s' if minutes > 1 else ''}" if minutes else "later"
    message = f"Too many requests for keys or sign-in links. Please try again {wait}."
    if request.is_json or wants_json():
        return codefreeform_error(429, message)
    return html_error(429, message)
