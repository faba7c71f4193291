"""What a form's visitor sees: the thank-you and error pages that belong to the site owner, in the visitor's
language, with a way back to the site, and the redirects after a browser form post."""
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from . import origins

LANGUAGES = ("en", "de", "fr", "es")
NOT_ACCEPTING = _l("This form is not accepting messages right now.")
CHECK_AND_RETRY = _l("Your message could not be sent. Please check what you entered and try again.")
# What each stable error code means to a visitor, in plain words.
PLAIN_WORDS = {
    "domain_mismatch": _l("This form only accepts messages from its own website."),
    "email_required": _l("Please enter a valid email address."),
    "invalid_email": _l("Please enter a valid email address."),
    "field_required": _l("Please fill in every required field."),
    "missing_api_key": NOT_ACCEPTING,
    "invalid_api_key": NOT_ACCEPTING,
    "key_disabled": NOT_ACCEPTING,
    "secret_key_in_browser": NOT_ACCEPTING,
    "rate_limited": _l("Too many messages were sent from your connection. Please wait a minute and try again."),
    "payload_too_large": _l("Your message is too long."),
    "contact_too_large": _l("Your message is too long."),
    "invalid_text": _l("Your message contains characters that cannot be saved."),
    "uploads_not_supported": _l("This form does not accept file uploads."),
    "challenge_failed": _l("Please complete the check that shows you are not a robot, then send the form again."),
}


def select_locale(request):
    """The visitor's language from Accept-Language, among those we translate (English otherwise)."""
    return request.accept_languages.best_match(LANGUAGES) or "en"


def back_link(referer, origin, principal=None):
    """Where "Back to the site" goes: the page the visitor came from, else the site's home (its origin, else
    the key's first domain); None when nothing is known. Only http(s) URLs, never javascript: or data:."""
    for candidate in (referer, origin):
        if origins.host_of_url(candidate):
            return candidate.strip()
    return home_of(principal.domains) if principal is not None else None


def home_of(domains):
    """The home page of the site a key's domains name (its first), or None when there are none."""
    return f"https://{domains[0]}/" if domains else None


def thank_you_page(message, back):
    return render_template("visitor/thanks.html", message=message, back=back)


def is_door_address(path):
    """Is this the address a form posts to (/f/<key>, /submit, /api/contact-api/)?"""
    return path.startswith("/f/") or path in ("/submit", "/api/contact-api/")


def form_address_page(referer, headers):
    """A visitor who opens a form's address (a followed link, a typed URL) instead of posting to it: a page in
    their language, the same for every key, so it says nothing about which keys exist. 405, with Allow."""
    page = render_template("visitor/form_address.html", back=back_link(referer, None))
    return page, 405, headers


def error_page(status, code, back):
    words = PLAIN_WORDS.get(code, CHECK_AND_RETRY)
    return render_template("visitor/error.html", status=status, words=words, code=code, back=back), status


def with_error_code(url, code):
    """url with ?error=<code> added (an `_error` / `error_url` target)."""
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode({"error": code})]))
    return urlunsplit(parts._replace(query=query))


def after_success(submitted):
    """A browser form's 303 after a submission: to its admitted target, else the hosted thank-you page."""
    response = redirect(submitted.next_url or thank_you_url(submitted.principal), 303)
    # Our pages' same-origin policy would also strip the Referer from the redirected request, and the
    # thank-you page needs it (cut to the site's origin, the browsers' default) for its "Back to the site".
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def thank_you_url(principal, external=False):
    """Our thank-you page; for a publishable key it names the key, so the owner's message is shown. external:
    the whole URL, on BASE_URL (never on the request's Host, which the client chose)."""
    path = url_for("forms.thanks") if principal is None or principal.is_secret else url_for(
        "forms.thanks", k=principal.key_id)
    return current_app.config["BASE_URL"] + path if external else path


def after_failure(error, referer, origin, status=None):
    """A browser form's answer to a refused submission: 303 to its admitted `_error`, else the error page."""
    if error.error_url:
        return redirect(with_error_code(error.error_url, error.code), 303)
    return error_page(status or error.status, error.code, back_link(referer, origin, error.principal))
