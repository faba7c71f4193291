"""Concurrent writes against real gunicorn workers (separate processes): nothing lost, nothing doubled."""
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import requests

from tests.races import at_once


def post_all_at_once(base, key, bodies):
    """POST every body at the same moment from its own thread; the responses in order."""
    headers = {"Authorization": f"Bearer {key}"}
    return at_once(*(partial(requests.post, f"{base}/v1/contacts", json=body, headers=headers, timeout=60)
                     for body in bodies))


def test_sixteen_concurrent_posts_for_one_new_email_make_one_contact_with_every_field(gunicorn, secret_key):
    base = gunicorn(workers=4)
    bodies = [{"email": "race@example.com" if i % 2 else "RACE@Example.com", f"field_{i}": i} for i in range(16)]
    responses = post_all_at_once(base, secret_key, bodies)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 15 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    headers = {"Authorization": f"Bearer {secret_key}"}
    listing = requests.get(f"{base}/v1/contacts", headers=headers, timeout=10).json()
    assert listing["total"] == 1 and len(listing["data"]) == 1
    contact = listing["data"][0]
    assert {f"field_{i}": i for i in range(16)}.items() <= contact.items()
    submissions = requests.get(f"{base}/v1/contacts/{contact['id']}/submissions?page_size=100", headers=headers,
                               timeout=10).json()
    assert submissions["total"] == 16


def test_concurrent_patches_keep_every_field(gunicorn, secret_key):
    base = gunicorn(workers=4)
    headers = {"Authorization": f"Bearer {secret_key}"}
    contact = requests.post(f"{base}/v1/contacts", json={"email": "p@example.com"}, headers=headers, timeout=10).json()
    barrier = threading.Barrier(12)

    def patch(i):
        barrier.wait()
        return requests.patch(f"{base}/v1/contacts/{contact['id']}", json={f"f{i}": i}, headers=headers, timeout=60)

    with ThreadPoolExecutor(12) as pool:
        assert {r.status_code for r in pool.map(patch, range(12))} == {200}
    final = requests.get(f"{base}/v1/contacts/{contact['id']}", headers=headers, timeout=10).json()
    assert {f"f{i}": i for i in range(12)}.items() <= final.items()


def test_concurrent_new_emails_keep_the_count_exact(gunicorn, secret_key):
    base = gunicorn(workers=4)
    responses = post_all_at_once(base, secret_key, [{"email": f"n{i}@example.com"} for i in range(24)])
    assert [r.status_code for r in responses] == [201] * 24
    listing = requests.get(f"{base}/v1/contacts?page_size=100", headers={"Authorization": f"Bearer {secret_key}"},
                           timeout=10).json()
    assert listing["total"] == 24 and len(listing["data"]) == 24


def test_two_patches_swapping_two_contacts_addresses_are_both_refused(gunicorn, secret_key):
    """Each PATCH asks for the address the other contact still holds: both answer 409 email_taken (neither
    waits for the other's row, which deadlocked one of them into a 500), and both contacts keep their own."""
    base = gunicorn(workers=4)
    headers = {"Authorization": f"Bearer {secret_key}"}
    for i in range(25):
        a, b = (requests.post(f"{base}/v1/contacts", json={"email": f"{name}{i}@example.com"}, headers=headers,
                              timeout=10).json() for name in ("a", "b"))
        answers = at_once(
            partial(requests.patch, f"{base}/v1/contacts/{a['id']}", json={"email": b["email"]}, headers=headers,
                    timeout=60),
            partial(requests.patch, f"{base}/v1/contacts/{b['id']}", json={"email": a["email"]}, headers=headers,
                    timeout=60))
        assert [(r.status_code, r.json()["error"]["code"]) for r in answers] == [(409, "email_taken")] * 2
        for contact in (a, b):
            stored = requests.get(f"{base}/v1/contacts/{contact['id']}", headers=headers, timeout=10).json()
            assert stored["email"] == contact["email"]
