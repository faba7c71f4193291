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
@pytest.mark.parametrize(("together", "one_by_one"), [(set_all, Headers.set), (set_missing, Headers.setdefault)])
def test_headers_written_together_end_as_written_one_by_one(already, together, one_by_one):
    ours, theirs = Headers(already), Headers(already)
    together(ours, PAIRS)
    for name, value in PAIRS:
        one_by_one(theirs, name, value)
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


@pytest.mark.parametrize("already", ALREADY)
def test_vary_on_is_vary_add(already):
    ours, theirs = Response(headers=already), Response(headers=already)
    vary_on(ours, "Origin")
    theirs.vary.add("Origin")
    assert ours.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()
