import pytest

from contactapi.addresses import InvalidEmail, normalise_email


@pytest.mark.parametrize("raw, normal", [
    ("Ada@Example.com", "ada@example.com"),
    ("  ada@example.com\n", "ada@example.com"),
    ("ADA@XN--BCHER-KVA.example", "ada@bücher.example"),
    ("ada@Bücher.Example", "ada@bücher.example"),
    ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
])
def test_normalise(raw, normal):
    assert normalise_email(raw) == normal


@pytest.mark.parametrize("raw", ["", " ", "ada", "ada@", "@example.com", "a b@example.com", "ada@example..com",
                                 None, 3, ["a@example.com"]])
def test_invalid(raw):
    with pytest.raises(InvalidEmail):
        normalise_email(raw)


@pytest.mark.parametrize("raw", ["ada@site.test", "ada@printer.local", "ada@x.invalid", "ada@hidden.onion",
                                 "ada@1.0.10.in-addr.arpa", "ada@dev.localhost", "ada@example.com"])
def test_special_use_domains_are_valid_syntax(raw):
    """Syntax only: email-validator's special-use list refuses nothing here."""
    assert normalise_email(raw) == raw
