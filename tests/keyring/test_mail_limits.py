"""Email bombing through POST /: key-request mails are counted per target inbox in the database, so the cap
holds exactly across workers and hosts, whatever +tag or case the address is spelt with; past it the answer
is the same and no mail goes."""
import re
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import requests

from contactapi import addresses
from tests.deliveries.helpers import deliveries_of
from tests.forms.conftest import wait_for

REQUESTS = 40
CAP = 5


def test_addresses_of_one_inbox():
    assert addresses.inbox("Victim+7@Example.com") == addresses.inbox("victim@example.com") == "victim@example.com"
    assert addresses.inbox("+tag@example.com") == "+tag@example.com"  # nothing before the tag: kept whole
    assert addresses.inbox("victim.x@example.com") != addresses.inbox("victim@example.com")
    # Gmail ignores dots and answers to googlemail.com too: one inbox for every spelling
    assert {addresses.inbox(a) for a in ("v.ictim@gmail.com", "Vic.Tim+x@googlemail.com", "victim@gmail.com")} == {
        "victim@gmail.com"}


def test_gmail_dot_spellings_share_one_cap(make_app):
    app = make_app(RATELIMIT_KEY_REQUEST_IP="1000/hour", RATELIMIT_KEY_REQUEST_EMAIL=f"{CAP}/hour")
    client = app.test_client()
    spellings = ["victim@gmail.com", "v.ictim@gmail.com", "vi.ctim@gmail.com", "vic.tim@googlemail.com",
                 "V.I.C.T.I.M@gmail.com", "victi.m@gmail.com", "vict.im+x@googlemail.com"]
    for email in spellings:
        assert client.post("/", json={"email": email, "requestType": "getKeys"}).status_code == 200
    assert len(deliveries_of(app)) == CAP


def _sent(app):
    """Wait until the instances' background workers have sent every queued mail."""
    wait_for(lambda: not deliveries_of(app, status="pending"))


def test_the_cap_holds_across_two_instances_and_every_spelling(gunicorn, smtp_server, app):
    _host, port, inbox = smtp_server
    env = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "RATELIMIT_KEY_REQUEST_IP": "1000/hour",
           "RATELIMIT_KEY_REQUEST_EMAIL": f"{CAP}/hour", "GUNICORN_ACCESS_LOG": ""}
    instances = cycle([gunicorn(workers=2, **env), gunicorn(workers=2, **env)])
    spellings = ["victim@example.com", "VICTIM@example.com"] + [f"victim+{n}@Example.com" for n in range(REQUESTS - 2)]
    jobs = [(next(instances), email) for email in spellings]

    def ask(job):
        base, email = job
        response = requests.post(f"{base}/", json={"email": email, "requestType": "getKeys"}, timeout=30)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, jobs))

    assert {status for status, _body in answers} == {200}
    assert all(body == {"success": True, "message": f"We emailed your active keys and a sign-in link to "
                                                    f"{email.strip().lower()}."}
               for (_status, body), email in zip(answers, spellings))
    _sent(app)
    assert len(deliveries_of(app)) == len(inbox.messages) == CAP  # not 5 per worker, not 5 per +tag
    # A form post for the same inbox, over the cap, gets the usual page and no mail.
    base = next(instances)
    page = requests.Session()
    form = page.get(f"{base}/", timeout=10).text
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)[1]
    answer = page.post(f"{base}/", data={"csrf_token": csrf, "email": "victim+form@example.com",
                                          "request_type": "getKeys", "kind": "publishable"}, timeout=10)
    assert answer.status_code == 200 and "We emailed your active keys" in answer.text
    _sent(app)
    assert len(deliveries_of(app)) == len(inbox.messages) == CAP
