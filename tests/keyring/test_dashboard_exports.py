"""Exports: CSV every cell quoted and formula-safe, JSON and NDJSON, filtered like the page, streamed in
constant memory from a real gunicorn."""
import csv
import io
import json
import os
import re
from datetime import datetime

import pytest
import requests

from contactapi import accounts, magic_links
from contactapi.exports import neutralise
from contactapi.extensions import db
from contactapi.models import Account, Contact

FORMULAS = ["=1+2", "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", " =1+2", "\n=1+2", "  \n\t@x"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["hello", "a=b", "1-2", "", "ada@example.com", ";plain"])
def test_plain_text_is_kept(text):
    assert neutralise(text) == text


@pytest.fixture
def post(client, make_key):
    key = make_key("owner@example.com", "secret")

    def _post(payload, **headers):
        response = client.post("/v1/contacts", json=payload, headers={"Authorization": f"Bearer {key}", **headers})
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    return _post


def test_csv_quotes_every_cell_so_semicolon_locales_see_one_cell(owner, post):
    post({"email": "ada@example.com", "note": ";=1+2", "other": "\n=1+2", "n": 3})
    text = owner.get("/dashboard/export/csv").get_data(as_text=True)
    header, *_ = text.splitlines()
    assert header == '"id","email","created_at","updated_at","confirmed_at","n","note","other"'
    # Quoted, a spreadsheet splitting on ';' cannot cut the note into a cell "=1+2".
    assert ',"3",";=1+2","\'\n=1+2"\r\n' in text
    cells = next(csv.DictReader(io.StringIO(text)))
    assert cells["note"] == ";=1+2" and cells["other"] == "'\n=1+2" and cells["n"] == "3"
    assert re.search(r'^"con_[a-z0-9]+","ada@example.com",', text, re.M)  # quoted, even plain values


def test_json_and_ndjson_keep_values_exactly(owner, post):
    post({"email": "ada@example.com", "formula": "=1+2", "tags": ["a"]})
    post({"email": "bob@example.com"})
    data = owner.get("/dashboard/export/json").get_json()
    assert [c["email"] for c in data] == ["bob@example.com", "ada@example.com"] and data[1]["formula"] == "=1+2"
    response = owner.get("/dashboard/export/ndjson")
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert lines == data
    assert owner.get("/dashboard/export/json").get_data(as_text=True).strip() != "[]"


def test_empty_exports_are_valid(owner):
    assert owner.get("/dashboard/export/json").get_json() == []
    assert owner.get("/dashboard/export/ndjson").get_data(as_text=True) == ""
    assert owner.get("/dashboard/export/csv").get_data(as_text=True).splitlines() == [
        '"id","email","created_at","updated_at","confirmed_at"']


def test_contacts_export_is_filtered_like_the_page(owner, post):
    post({"email": "ada@example.com", "message": "invoice please"})
    post({"email": "bob@example.com", "message": "hello"})
    data = owner.get("/dashboard/export/json?q=INVOICE").get_json()
    assert [c["email"] for c in data] == ["ada@example.com"]
    assert 'q=invoice' in owner.get("/dashboard/contacts?q=invoice").get_data(as_text=True)


def test_submissions_export_is_filtered_like_the_inbox(owner, post):
    post({"email": "ada@example.com", "message": "first"}, Referer="https://site.example/contact")
    post({"email": "ada@example.com", "message": "second =1+2"})
    post({"email": "bob@example.com", "message": "other"})
    rows = list(csv.DictReader(io.StringIO(owner.get("/dashboard/inbox/export/csv?q=ada").get_data(as_text=True))))
    assert [r["message"] for r in rows] == ["second =1+2", "first"]
    assert rows[1]["page"] == "https://site.example/contact" and rows[1]["read"] == "false"
    data = owner.get("/dashboard/inbox/export/ndjson?state=unread").get_data(as_text=True).splitlines()
    assert len(data) == 3 and json.loads(data[0])["fields"] == {"email": "bob@example.com", "message": "other"}
    assert owner.get("/dashboard/inbox/export/json?state=read").get_json() == []
    assert owner.get("/dashboard/inbox/export/csv?since=yesterday").status_code == 400
    assert owner.get("/dashboard/inbox/export/xml").status_code == 404


def test_submitted_fields_named_like_a_submissions_own_columns_keep_their_values(owner, post):
    post({"email": "ada@example.com", "page": "pricing", "read": "yes please", "field:page": "p2"},
         Referer="https://site.example/contact")
    text = owner.get("/dashboard/inbox/export/csv").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["id", "contact_id", "email", "key_id", "page", "user_agent", "read", "created_at",
                      "field:field:page", "field:page", "field:read"]
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["page"] == "https://site.example/contact" and row["read"] == "false"
    assert row["field:page"] == "pricing" and row["field:read"] == "yes please" and row["field:field:page"] == "p2"


def test_cli_streams_submissions_and_ndjson(runner, post):
    post({"email": "ada@example.com", "message": "hi"})
    result = runner.invoke(args=["contacts", "export", "--email", "owner@example.com", "--format", "ndjson",
                                 "--submissions"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fields"] == {"email": "ada@example.com", "message": "hi"}


# --- 200,000 contacts from a real gunicorn, in constant memory ---

EXPORT_SIZE = 200_000


def _seed_contacts(app, email, count):
    with app.app_context():
        account = accounts.get_or_create_account(email)
        now = datetime(2026, 1, 1)
        table = Contact.__table__
        for start in range(0, count, 10_000):
            db.session.execute(table.insert(), [
                {"id": f"con_{n:012d}", "account_id": account.id, "email": f"person{n}@example.com",
                 "fields": {"name": f"Person {n}", "message": "Hello there, " * 8, f"extra{n % 7}": n},
                 "created_at": now, "updated_at": now}
                for n in range(start, min(start + 10_000, count))
            ])
        db.session.execute(db.update(Account).where(Account.id == account.id).values(contact_count=count))
        db.session.commit()
        db.session.remove()


def _worker_pid(port):
    """The pid of the one gunicorn worker serving port (the process whose parent also serves it)."""
    serving = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode()
            with open(f"/proc/{pid}/stat") as f:
                parent = f.read().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if f"127.0.0.1:{port}" in command and "gunicorn" in command:
            serving[pid] = parent
    workers = [pid for pid, parent in serving.items() if parent in serving]
    assert len(workers) == 1, serving
    return workers[0]


def _peak_memory_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))


def _signed_in_session(app, base, email):
    with app.test_request_context():
        token = magic_links.make(email, "sign_in")
        db.session.remove()
    browser = requests.Session()
    page = browser.get(f"{base}/link/{token}").text
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    assert browser.post(f"{base}/link/{token}", data={"csrf_token": csrf}).ok
    return browser


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exporting_200000_contacts_keeps_the_workers_memory_flat(app, gunicorn, fmt):
    _seed_contacts(app, "big@example.com", EXPORT_SIZE)
    base = gunicorn(workers=1)
    port = base.rsplit(":", 1)[1]
    browser = _signed_in_session(app, base, "big@example.com")
    # Warm up: load every module and template the export uses, on a first small request.
    assert browser.get(f"{base}/dashboard/export/{fmt}?q=person1999").ok
    worker = _worker_pid(port)
    before = _peak_memory_kib(worker)
    lines = 0
    with browser.get(f"{base}/dashboard/export/{fmt}", stream=True) as response:
        assert response.status_code == 200 and "Content-Length" not in response.headers
        for chunk in response.iter_content(64 * 1024):
            lines += chunk.count(b"\n")
    grown_mib = (_peak_memory_kib(worker) - before) / 1024
    expected = EXPORT_SIZE + (1 if fmt == "csv" else 2)  # the header, or the brackets
    assert lines == expected
    assert grown_mib < 30, f"the worker's peak memory grew by {grown_mib:.1f} MiB"
