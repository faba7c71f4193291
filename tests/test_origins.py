"""The one domain rule, as a table: which Origin/Referer a locked key admits, and where a form may redirect."""
import pytest

from contactapi.origins import canonical_host, key_admits, normalise_domain, redirect_allowed

EXAMPLE = ("example.com",)


@pytest.mark.parametrize("origin, referer, admitted", [
    # the domain itself and its subdomains, whatever the scheme, port or case
    ("https://example.com", None, True),
    ("http://example.com", None, True),
    ("https://example.com:8443", None, True),
    ("https://www.example.com", None, True),
    ("https://a.b.example.com", None, True),
    ("HTTPS://WWW.EXAMPLE.COM", None, True),
    ("https://example.com.", None, True),
    # look-alikes
    ("https://example.com.evil.net", None, False),
    ("https://evilexample.com", None, False),
    ("https://example.co", None, False),
    ("https://xample.com", None, False),
    ("https://example.com@evil.net", None, False),
    ("https://evil.net/example.com", None, False),
    ("https://evil.net?example.com", None, False),
    ("https://evil.net#.example.com", None, False),
    ("https://evil.net%2f.example.com", None, False),
    ("https://evil.net\\.example.com", None, False),
    # Origin decides when there is one; Referer only when there is none (or it is "null")
    ("https://evil.net", "https://example.com/contact", False),
    (None, "https://www.example.com/contact?x=1", True),
    (None, "https://example.com.evil.net/contact", False),
    ("null", "https://example.com/contact", True),
    # nothing usable: refused
    ("null", None, False),
    (None, None, False),
    ("", "", False),
    ("not a url", None, False),
    (None, "/relative/path", False),
    ("file://example.com", None, False),
    ("chrome-extension://example.com", None, False),
])
def test_locked_key(origin, referer, admitted):
    assert key_admits(EXAMPLE, origin, referer) is admitted


@pytest.mark.parametrize("origin, referer", [
    ("https://anything.test", None), ("null", None), (None, None), ("garbage", "garbage"),
])
def test_a_key_without_domains_admits_every_request(origin, referer):
    assert key_admits((), origin, referer)


def test_internationalised_domains_compare_in_their_ascii_form():
    domains = (normalise_domain("Bücher.example"),)
    assert domains == ("xn--bcher-kva.example",)
    assert key_admits(domains, "https://xn--bcher-kva.example", None)  # what browsers send
    assert key_admits(domains, "https://shop.bücher.example", None)
    assert key_admits(domains, "https://BÜCHER.example", None)
    assert not key_admits(domains, "https://bucher.example", None)
    assert not key_admits(domains, "https://xn--bcher-kva.example.evil.net", None)


@pytest.mark.parametrize("entry, domain", [
    ("example.com", "example.com"),
    ("  Example.COM  ", "example.com"),
    ("https://www.example.com:8080/contact", "www.example.com"),
    ("example.com.", "example.com"),
    ("*.example.com", "example.com"),
    ("localhost", "localhost"),
    ("bücher.example", "xn--bcher-kva.example"),
])
def test_domain_entries_are_normalised(entry, domain):
    assert normalise_domain(entry) == domain


@pytest.mark.parametrize("entry", ["", "com", "exa mple.com", "exa\\mple.com", "ex%61mple.com", "a*b.com", "ftp://x"])
def test_bad_domain_entries_are_refused(entry):
    with pytest.raises(ValueError):
        normalise_domain(entry)


@pytest.mark.parametrize("host, canonical", [
    ("Example.COM", "example.com"), ("::1", "::1"), ("127.0.0.1", "127.0.0.1"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"), ("bücher.example", "xn--bcher-kva.example"),
    ("evil.net%2f.example.com", None), ("a\\b", None), ("", None), (None, None),
])
def test_canonical_host(host, canonical):
    assert canonical_host(host) == canonical


@pytest.mark.parametrize("url, allowed", [
    ("https://example.com/thanks", True),
    ("http://www.example.com:8080/thanks?x=1", True),
    ("https://example.com.evil.net/thanks", False),
    ("https://evilexample.com/thanks", False),
    ("https://evil.net/?next=https://example.com", False),
    ("https://example.com@evil.net/", False),
    ("//evil.net/thanks", False),
    ("/thanks", False),
    ("javascript:alert(1)//example.com", False),
    ("data:text/html,hi", False),
    ("", False),
])
def test_next_with_a_locked_key_must_be_one_of_its_domains(url, allowed):
    # where the form says it came from does not matter: the key's own domains decide
    assert redirect_allowed(url, EXAMPLE, "https://www.example.com", None) is allowed


@pytest.mark.parametrize("url, origin, referer, allowed", [
    ("https://shop.test/thanks", "https://shop.test", None, True),
    ("https://www.shop.test/thanks", "https://shop.test", None, True),
    ("https://evil.net/thanks", "https://shop.test", None, False),
    ("https://shop.test/thanks", None, "https://shop.test/contact", True),
    ("https://shop.test/thanks", "null", None, False),
    ("https://shop.test/thanks", None, None, False),
])
def test_next_with_an_unrestricted_key_must_be_the_forms_own_host(url, origin, referer, allowed):
    assert redirect_allowed(url, (), origin, referer) is allowed


# Hosts the domain rule admits by name but that are no URL a Location header can carry: the redirect comes
# after the contact is stored, so each was a bare 500 from Werkzeug (iri_to_uri) before it was refused here.
UNSENDABLE = [
    "https://www.example.com:abc/",                # a port that is not a number
    "https://www.example.com:99999/",              # a port past 65535
    "https://www.example.com:+80/",
    "https://" + "a" * 64 + ".example.com/",       # a label over 63 characters
    "https://www.example.com../",                  # an empty label, not the root's dot
    "https://www.ex\u2061ample.com/",              # dropped by UTS #46, refused by Python's IDNA codec
]


@pytest.mark.parametrize("url", UNSENDABLE)
def test_a_target_no_location_header_can_carry_is_no_target(url):
    assert redirect_allowed(url, EXAMPLE, "https://www.example.com", None) is False


@pytest.mark.parametrize("url", ["https://www.example.com:0/", "https://www.example.com:65535/x",
                                 "https://" + "a" * 63 + ".example.com/", "https://www.example.com./"])
def test_targets_at_the_edges_of_the_rules_are_admitted(url):
    assert redirect_allowed(url, EXAMPLE, "https://www.example.com", None) is True
