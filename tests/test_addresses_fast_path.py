"""The fast path for plain ASCII addresses agrees with email-validator (as addresses.py calls it) whenever
it answers: thousands of generated addresses, nasty ones included."""
import string

from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contactapi.addresses import normalise_email, plain_address

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
NASTY = ".@\"\\ ()<>[],;:\t"
TLDS = ["com", "io", "org", "x", "c0m", "123", "local", "localhost", "test", "invalid", "onion", "arpa",
        "example", "xn--p1ai", "a-b", "-ab", "ab-", "COM", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"]


def email_validator_verdict(address):
    """What the app would get from email-validator alone: the normalised address, or None if refused."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{result.local_part}@{result.domain}".lower()


atoms = st.text(alphabet=ATEXT, min_size=0, max_size=20)
local_parts = st.one_of(
    st.lists(atoms, min_size=1, max_size=5).map(".".join),  # empty atoms make leading, trailing, double dots
    st.text(alphabet=ATEXT + NASTY, min_size=0, max_size=70),
    atoms.map(lambda atom: f'"{atom}"'),  # quoted locals
    st.integers(55, 70).map(lambda n: "a" * n),  # around the 64-character limit
)
labels = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=0, max_size=12),
    st.integers(60, 66).map(lambda n: "b" * n),  # around the 63-character label limit
    st.sampled_from(["xn--p1ai", "ab--cd", "xn--", "a_b", "-", "0", "localhost"]),
)
domains = st.one_of(
    st.builds(lambda parts, tld: ".".join([*parts, tld]), st.lists(labels, min_size=0, max_size=5),
              st.sampled_from(TLDS) | st.text(alphabet=string.ascii_letters + string.digits + "-", max_size=8)),
    st.integers(0, 255).map(lambda n: f"[10.0.0.{n}]"),  # IP literals
    st.just("[IPv6:::1]"),
    st.integers(2, 5).map(lambda n: ".".join(["c" * 63] * n) + ".com"),  # total length limits
    st.text(alphabet=string.printable, max_size=30),
)
addresses = st.one_of(st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains),
                      st.text(alphabet=string.printable, max_size=80))


@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(addresses)
@example("a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".co")  # 254 characters
@example("a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".com")  # 255
@example("x@" + ".".join(["b" * 61] * 4) + ".com")  # domain 251
@example("ada@foo.local")
@example("ada@localhost")
@example("ada@foo.test")
@example("a.@example.com")
@example(".a@example.com")
@example("a..b@example.com")
@example("ada@example.123")
@example("ada@ab--cd.com")
@example("ada@xn--p1ai.com")
def test_the_fast_path_agrees_with_email_validator_whenever_it_answers(address):
    fast = plain_address(address)
    if fast is not None:
        assert fast == email_validator_verdict(address)


@given(st.builds(lambda local, host, tld: f"{local}@{host}.{tld}",
                 st.lists(st.text(alphabet=string.ascii_letters + string.digits + "+_-", min_size=1, max_size=10),
                          min_size=1, max_size=3).map(".".join),
                 st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(lambda h: "--" not in h),
                 st.sampled_from(["com", "org", "io", "example", "local", "test"])))
@settings(max_examples=1000, deadline=None)
def test_everyday_addresses_take_the_fast_path(address):
    """The fast path does answer for the addresses forms send (so the test above cannot pass by its silence)."""
    assert plain_address(address) == address.lower() == email_validator_verdict(address)


def test_the_app_gets_the_same_answer_either_way(client, auth):
    for sent, stored in [("Ada@Example.COM", "ada@example.com"), ('"ada lovelace"@example.com', None),
                         ("ada@[10.0.0.1]", None), ("a..b@example.com", None)]:
        response = client.post("/v1/contacts", json={"email": sent}, headers=auth)
        expected = email_validator_verdict(sent)
        assert (response.status_code == 400) == (expected is None), sent
        if stored is not None:
            assert response.get_json()["email"] == stored == normalise_email(sent)
