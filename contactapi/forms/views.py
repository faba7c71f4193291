"""The thank-you page, and codefreeform's POST /api/contact-api/ for clients written against its documents."""
from flask import current_app, g, redirect, render_template, request, url_for

from .. import contacts, keys, notifications, origins, ratelimits
from ..errors import codefreeform_error, is_browser_form, render_error
from ..extensions import csrf
from ..payloads import PayloadError, codefreeform_fields, is_spam, is_true, submitted_body
from . import bp

SUCCESS = "Thank you! Your message has been received."
DOMAIN_MISMATCH = "Verification key domain mismatch."
DOMAIN_MISMATCH_ERRORS = {"access_key": [DOMAIN_MISMATCH], "__all__": ["Domain does not match."]}  # as documented
INVALID_KEY = "Invalid verification key."


class FormRefused(Exception):
    """A /api/contact-api/ post refused: its status, message and {field: [messages]}."""

    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status, self.message = status, message
        self.errors = errors or {"__all__": [message]}


@bp.get("/thanks")
def thanks():
    return render_template("forms/thanks.html")


def _authenticate_and_count(raw_key):
    """The Principal of a publishable access_key (also in g.principal), after counting the rate limits."""
    if raw_key is None or raw_key == "":
        ratelimits.enforce()
        raise FormRefused(400, "access_key: This field is required.", {"access_key": ["This field is required."]})
    g.principal = keys.authenticate(raw_key.strip() if isinstance(raw_key, str) else None)
    ratelimits.enforce()  # a bad key counts against the client's IP, a good one against its IP and key
    if g.principal is None:
        raise FormRefused(400, INVALID_KEY, {"access_key": [INVALID_KEY]})
    if g.principal.is_secret:
        # A secret key must never sit in a web page; refuse it before it gets used there.
        message = "Use a publishable key (ck_pub_…) here, never a secret key."
        raise FormRefused(400, message, {"access_key": [message]})
    return g.principal


def _redirect_url(body, name, principal):
    """success_url or error_url when the key's domain rule admits it, else None."""
    url = body.get(name)
    origin, referer = request.headers.get("Origin"), request.headers.get("Referer")
    if principal and isinstance(url, str) and origins.redirect_allowed(url, principal.domains, origin, referer):
        return url
    return None


def _succeeded(body, principal):
    if is_browser_form():
        return redirect(_redirect_url(body, "success_url", principal) or url_for("forms.thanks"), 303)
    return {"success": True, "message": SUCCESS}


def _refused(body, error):
    if not is_browser_form():
        return codefreeform_error(error.status, error.message, error.errors)
    error_url = _redirect_url(body, "error_url", g.get("principal"))
    return redirect(error_url, 303) if error_url else render_error(error.status, error.message)


@bp.post("/api/contact-api/")
@csrf.exempt  # authenticated by its access_key, never by a cookie
def contact_api():
    body = {}
    try:
        body = submitted_body(request, current_app.config["MAX_JSON_DEPTH"])
        principal = _authenticate_and_count(body.get("access_key"))
        origin, referer = request.headers.get("Origin"), request.headers.get("Referer")
        if not origins.key_admits(principal.domains, origin, referer):
            raise FormRefused(400, DOMAIN_MISMATCH, DOMAIN_MISMATCH_ERRORS)
        if is_spam(body):
            return _succeeded(body, principal)  # a bot filled the honeypot: told it worked, nothing kept
        email, fields = codefreeform_fields(body)
        mail_owner = not is_true(body.get("not_email_sent"))
        contacts.upsert(principal.account_id, email, fields, principal.key_id,
                        then=notifications.after_submission(principal, fields, mail_owner=mail_owner))
    except PayloadError as error:
        return _refused(body, FormRefused(error.status, error.message, error.errors))
    except FormRefused as error:
        return _refused(body, error)
    return _succeeded(body, principal)
