"""The emails a key requester gets, each carrying a fresh single-use link.

Each is queued on the outbox in the link's own transaction and sent by a worker (high priority): the
request never waits on the mail server, and a mail that cannot go yet is retried, never lost."""
from flask import current_app, url_for

from .. import accounts, deliveries, keys, magic_links, mailer


def link_url(token):
    """The absolute address of an emailed link (BASE_URL, since the request's host may be internal)."""
    return current_app.config["BASE_URL"] + url_for("keyring.link", token=token)


def link_minutes():
    return max(1, current_app.config["MAGIC_LINK_MAX_AGE"] // 60)


def _send_with_link(email, purpose, payload, subject, template, **context):
    def mail(token):
        # The stored copy is sealed: it holds a working link until it is sent.
        return mailer.outgoing(email, subject, template, topic=purpose, priority=deliveries.HIGH, secret=True,
                               link=link_url(token), minutes=link_minutes(), email=email,
                               base_url=current_app.config["BASE_URL"], **context)

    magic_links.make(email, purpose, payload, mail=mail)


def _active_keys(email):
    account = accounts.find_account(email)
    return [key for key in keys.keys_of(account.id) if key.status == "active"] if account else []


def send_key_link(email, kind, domains):
    """A link that creates a key; at the active-key limit, the limit explained and a sign-in link instead."""
    limit = current_app.config["MAX_ACTIVE_KEYS"]
    if len(_active_keys(email)) >= limit:
        _send_with_link(email, "sign_in", {}, "Your contactapi key limit", "key_limit",
                        limit_message=str(keys.KeyLimitReached(limit)))
    else:
        _send_with_link(email, "create_key", {"kind": kind, "domains": domains},
                        "Create your contactapi key", "key_link", kind=kind, domains=domains)


def send_keys(email):
    """The address's active keys (secret ones masked) and a dashboard sign-in link."""
    shown = [{"name": key.name, "kind": key.kind, "domains": key.domains, "public_value": key.public_value,
              "display": key.display} for key in _active_keys(email)]  # plain values: the worker renders them
    _send_with_link(email, "sign_in", {}, "Your contactapi keys", "keys", keys=shown)


def send_sign_in(email, next_page=None):
    """A dashboard sign-in link; after it, the owner lands on next_page (a dashboard path) if given."""
    _send_with_link(email, "sign_in", {"next": next_page} if next_page else {}, "Sign in to contactapi", "sign_in")
