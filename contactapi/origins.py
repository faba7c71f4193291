"""The one domain rule: does a key's domain list admit a request's Origin/Referer, or a redirect URL?"""
import ipaddress
import re
from urllib.parse import urlsplit

import idna
from werkzeug.urls import iri_to_uri

# What is left of a host name once it is lowercased and IDNA-encoded: letters, digits, - _ and dots.
# Anything else (%, \, *, …) is refused, so no host passes here that a browser would read differently.
# Each label at most 63 characters and the name at most 253 (RFC 1035), as the IDNA codecs demand.
HOST_NAME = re.compile(r"(?=.{1,253}\Z)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*")
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def _is_ip_literal(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def canonical_host(host):
    """A host lowercased and IDNA-encoded, without port or trailing dot; None if it is not a host."""
    if not host or not isinstance(host, str):
        return None
    host = host.strip().lower().removesuffix(".")  # the root's dot only: "example.com.." is no host
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    if HOST_NAME.fullmatch(host) or _is_ip_literal(host):
        return host
    return None


def host_of_url(url):
    """The canonical host of an absolute http(s) URL, or None (also for a URL with control characters:
    Python's urlsplit drops CR, LF and TAB silently, but such a URL is not one we may send in a header;
    and for a port that is not a number from 0 to 65535)."""
    if not url or not isinstance(url, str) or CONTROL_CHARACTER.search(url):
        return None
    try:
        parts = urlsplit(url.strip())
        port_is_a_number = parts.port is None or 0 <= parts.port <= 65535  # .port raises for "abc" or 99999
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not port_is_a_number:
        return None
    return canonical_host(parts.hostname)


def normalise_domain(entry):
    """A domain-lock entry as typed by a person ("https://Example.com:8080/x" → "example.com")."""
    entry = (entry or "").strip()
    if "://" not in entry:
        entry = "http://" + entry
    # "*.example.com" means what "example.com" already does: every subdomain is admitted.
    entry = entry.replace("://*.", "://", 1)
    host = host_of_url(entry)
    if host is None or "." not in host and host != "localhost":
        raise ValueError(f"{entry.removeprefix('http://')!r} is not a domain name")
    return host


def request_host(origin, referer):
    """The host a browser request came from: its Origin, else its Referer (Origin "null" counts as none)."""
    if origin and origin.strip() != "null":
        return host_of_url(origin)
    return host_of_url(referer)


def host_allowed(host, domains):
    """True when host equals an entry of domains or is a subdomain of one; an empty list admits all."""
    if not domains:
        return True
    if host is None:
        return False
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def key_admits(domains, origin, referer):
    """The contract's domain lock for a request carrying a key with these domains."""
    if not domains:
        return True
    return host_allowed(request_host(origin, referer), domains)


def redirect_allowed(url, domains, origin, referer):
    """May a form post redirect to url (`_next`, `success_url`, `error_url`)?

    A locked key admits its own domains; an unrestricted key only the host the form came from. The redirect
    comes after the contact is stored, so a target must also be one the Location header can carry."""
    target = host_of_url(url)
    if target is None or not _fits_a_location_header(url):
        return False
    allowed = domains or [host for host in [request_host(origin, referer)] if host]
    return bool(allowed) and host_allowed(target, allowed)


def _fits_a_location_header(url):
    """Can Werkzeug write url as a Location header? It converts it with iri_to_uri while sending the answer,
    outside Flask's error handlers, so a URL it cannot convert would be a bare 500 after the contact was
    stored. Its host codec (Python's IDNA 2003) refuses some hosts that canonical_host's UTS #46 admits
    (e.g. invisible U+2061 to U+2064, which UTS #46 drops): asking the converter itself covers them all."""
    try:
        iri_to_uri(url.strip())
    except ValueError:  # UnicodeError is a ValueError
        return False
    return True
