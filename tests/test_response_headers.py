"""Headers written together (response_headers) end as werkzeug's set, setdefault and vary.add leave them."""
import pytest
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from contactapi.response_headers import set_all, set_missing, vary_on

ALREADY = [
    [],
    [("Content-Type", "application/json")],
    [("Content-Type", "text/html"), ("x-frame-options", "SAMEORIGIN"), ("Retry-After", "5"), ("Retry-After", "6")],
    [("Vary", "Cookie"), ("Content-Security-Policy", "default-src 'none'"), ("X-Other", "1")],
    [("Vary", "origin")],
]
PAIRS = (("X-Frame-Options", "DENY"), ("Retry-After", "60"), ("Content-Security-Policy", "default-src 'self'"),
         ("Referrer-Policy", "same-origin"))


@pytest.mark.parametrize("already", ALREADY)
def test_set_all_is_set_one_by_one(already):
    ours, theirs = Headers(already), Headers(already)
    set_all(ours, PAIRS)
    for name, value in PAIRS:
        theirs.set(name, value)
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


@pytest.mark.parametrize("already", ALREADY)
def test_set_missing_is_setdefault_one_by_one(already):
    ours, theirs = Headers(already), Headers(already)
    set_missing(ours, PAIRS)
    for name, value in PAIRS:
        theirs.setdefault(name, value)
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


@pytest.mark.parametrize("already", ALREADY)
def test_vary_on_is_vary_add(already):
    ours, theirs = Response(headers=already), Response(headers=already)
    vary_on(ours, "Origin")
    theirs.vary.add("Origin")
    assert ours.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()
