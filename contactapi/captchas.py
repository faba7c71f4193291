"""The CAPTCHA providers a key may require: Cloudflare Turnstile, hCaptcha, reCAPTCHA v2 and v3.

Each one's widget puts a token in a form field; we ask the provider's verify URL (from the operator's
environment only, never from a key's settings) whether it is good. This is the one HTTP call made inside a
request: it has a total deadline, and a timeout or any failure counts as a failed challenge."""
import http.client
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app

from .deliveries import safe_http

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provider:
    label: str
    token_field: str         # where its widget puts the token
    verify_url_setting: str  # the config name of its verify URL
    script: str              # its widget's script, for the key's snippet
    widget_class: str        # the element its script turns into a widget
    scored: bool = False     # reCAPTCHA v3: the answer carries a score the key's threshold must reach


PROVIDERS = {
    "turnstile": Provider("Cloudflare Turnstile", "cf-turnstile-response", "TURNSTILE_VERIFY_URL",
                          "https://challenges.cloudflare.com/turnstile/v0/api.js", "cf-turnstile"),
    "hcaptcha": Provider("hCaptcha", "h-captcha-response", "HCAPTCHA_VERIFY_URL",
                         "https://js.hcaptcha.com/1/api.js", "h-captcha"),
    "recaptcha_v2": Provider("reCAPTCHA v2", "g-recaptcha-response", "RECAPTCHA_VERIFY_URL",
                             "https://www.google.com/recaptcha/api.js", "g-recaptcha"),
    "recaptcha_v3": Provider("reCAPTCHA v3", "g-recaptcha-response", "RECAPTCHA_VERIFY_URL",
                             "https://www.google.com/recaptcha/api.js", "g-recaptcha", scored=True),
}
TOKEN_FIELDS = frozenset(provider.token_field for provider in PROVIDERS.values())
DEFAULT_THRESHOLD = 0.5


def refusal(kind, secret, threshold, token):
    """Why the provider refused this token ("missing", "failed", "low_score", "unreachable"), or None."""
    if not isinstance(token, str) or not token.strip() or len(token) > 4096:
        return "missing"
    provider = PROVIDERS[kind]
    config = current_app.config
    try:
        answer = safe_http.post(
            config[provider.verify_url_setting], urlencode({"secret": secret, "response": token.strip()}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"}, allow_http=True, allow_private=True,
            timeout=config["CHALLENGE_VERIFY_DEADLINE"], limit=16_384)
        verdict = json.loads(answer.body)
    except (OSError, ValueError, http.client.HTTPException) as error:
        log.warning("%s verify URL failed us: %s", provider.label, error)
        return "unreachable"
    if answer.status != 200 or not isinstance(verdict, dict) or verdict.get("success") is not True:
        return "failed"
    if provider.scored:
        score = verdict.get("score")
        if not isinstance(score, (int, float)) or score < (DEFAULT_THRESHOLD if threshold is None else threshold):
            return "low_score"
    return None
