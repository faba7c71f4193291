"""Outbound webhook calls cannot be aimed at us: addresses checked where the name resolves, no redirects,
one deadline, a bounded read."""
import socket

import pytest

from contactapi.deliveries import safe_http
from tests.deliveries.helpers import deliveries_of
from tests.smtp import settle


def test_a_name_resolving_to_loopback_is_refused_when_sending(hook_app, make_key, start_receiver, monkeypatch):
    receiver = start_receiver()
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    key = make_key(kind="secret")
    client = hook_app.test_client()
    auth = {"Authorization": f"Bearer {key}"}
    hook_app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    created = client.post("/v1/webhooks", headers=auth,
                          json={"url": f"http://hooks.example.com:{port}/in", "events": ["contact.created"]})
    assert created.status_code == 201  # a name: checked where it resolves, when sending
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *rest, **kw: real(
        "127.0.0.1" if host == "hooks.example.com" else host, *rest, **kw))  # a rebinding DNS answer
    client.post("/v1/contacts", headers=auth, json={"email": "a@example.com"})
    settle(hook_app)
    [delivery] = deliveries_of(hook_app)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1 and "loopback" in delivery["last_error"]
    assert receiver.requests == []


def test_redirects_are_not_followed(start_receiver):
    receiver = start_receiver(statuses=(302,))
    answer = safe_http.post(receiver.url, b"{}", {"content-type": "application/json"}, allow_http=True,
                            allow_private=True)
    assert answer.status == 302 and len(receiver.requests) == 1


def test_a_silent_receiver_is_cut_off_at_the_deadline():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        with pytest.raises(OSError):
            safe_http.post(f"http://127.0.0.1:{silent.getsockname()[1]}/", b"{}", {}, allow_http=True,
                           allow_private=True, timeout=1)
    finally:
        silent.close()


@pytest.mark.parametrize("url", ["http://example.com/", "https://127.0.0.1/", "https://[::ffff:10.0.0.1]/",
                                 "https://0.0.0.0/", "https://224.0.0.1/", "https://100.64.0.1/",
                                 "https://100.100.100.100/", "https://198.18.0.1/", "https://[64:ff9b::7f00:1]/",
                                 "https://[2002:7f00:1::1]/", "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
                                 "https://[fc00::1]/", "https://[fe80::1]/", "https://255.255.255.255/"])
def test_check_url_refuses_without_the_allowances(url):
    with pytest.raises(safe_http.UnsafeTarget):
        safe_http.check_url(url)


@pytest.mark.parametrize("url", ["https://93.184.215.14/", "https://[2606:4700:4700::1111]/",
                                 "https://[64:ff9b::5db8:d70e]/", "https://hooks.example.com/"])
def test_check_url_admits_globally_reachable_addresses(url):
    assert safe_http.check_url(url).host
