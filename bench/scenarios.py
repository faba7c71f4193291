"""The scenarios, their targets, and how each is loaded and checked."""
import os
from dataclasses import dataclass, field
from typing import Callable, Optional

import requests

from . import checks

JSON_TARGETS = {"GET": "bare GET", "POST": "bare POST"}
CONNECTIONS = 32  # wrk connections for the throughput scenarios


@dataclass
class Target:
    """What a scenario must reach: a ratio to its baseline, and/or latency bounds in ms."""

    ratio: Optional[float] = None
    p50_ms: Optional[float] = None
    p99_ms: Optional[float] = None
    tail: Optional[float] = None    # p99 / p50 at most this: no request waits far longer than the typical one

    def describe(self, baseline):
        parts = []
        if self.ratio is not None:
            parts.append(f"≥ {self.ratio:.2f} × {JSON_TARGETS[baseline]}")
        if self.p50_ms is not None:
            parts.append(f"p50 ≤ {self.p50_ms:g} ms")
        if self.p99_ms is not None:
            parts.append(f"p99 ≤ {self.p99_ms:g} ms")
        if self.tail is not None:
            parts.append(f"p99/p50 ≤ {self.tail:g}")
        return ", ".join(parts) or "reported"

    def met(self, measurement, ratio):
        if not (self.ratio or self.p50_ms or self.p99_ms or self.tail):
            return None
        return ((self.ratio is None or ratio >= self.ratio)
                and (self.p50_ms is None or measurement.p50_ms <= self.p50_ms)
                and (self.p99_ms is None or measurement.p99_ms <= self.p99_ms)
                and (self.tail is None or measurement.p99_ms <= self.tail * measurement.p50_ms))


@dataclass
class Scenario:
    """One line of the table: a wrk script, its settings per run, its baseline, target and check."""

    name: str
    script: str
    env: Callable[[int], dict]  # run index → BENCH_* variables for the Lua script
    baseline: Optional[str] = None  # "GET" or "POST": the bare endpoint it is compared with
    target: Target = field(default_factory=Target)
    connections: int = CONNECTIONS
    check: Optional[Callable] = None  # (result, run index, answered emails) → a note; raises CheckFailed
    preflight: Optional[Callable] = None  # (base URL) → None; raises CheckFailed
    notifies: bool = False  # each post queues a notification: the run waits for the outbox to empty after it


def bare_scenarios():
    return [
        Scenario("bare GET", "get.lua", lambda run: {"BENCH_PATH": "/bare"},
                 check=lambda result, run, emails: _answered(result)),
        Scenario("bare POST (small JSON)", "post_json.lua",
                 lambda run: {"BENCH_PATH": "/bare", "BENCH_TAG": f"bare{run}"},
                 check=lambda result, run, emails: _answered(result)),
    ]


def floor_scenario():
    """The floor app's POST (floor_app.py): one durable upsert and nothing else, compared with the bare POST."""
    return Scenario("floor POST (one upsert, no key: floor_app.py)", "post_json.lua",
                    lambda run: {"BENCH_PATH": "/floor", "BENCH_TAG": f"floor{run}"}, "POST",
                    check=lambda result, run, emails: _answered(result))


def create_floor_scenarios(account):
    """The create floor's POSTs (create_floor_app.py) with account's secret key, new addresses and one address
    over and over: the whole create with nothing in between, compared with the bare POST."""
    name = "create floor POST {} (the whole create, nothing between: create_floor_app.py)"
    key = {"BENCH_PATH": "/v1/contacts", "BENCH_KEY": account.secret_key}
    return [
        Scenario(name.format("new"), "post_json.lua", lambda run: {**key, "BENCH_TAG": f"cfloor{run}"}, "POST",
                 check=lambda result, run, emails: _answered(result)),
        Scenario(name.format("same"), "post_json.lua",
                 lambda run: {**key, "BENCH_EMAIL": f"cfloor-same{run}@bench.example"}, "POST",
                 check=lambda result, run, emails: _answered(result)),
    ]


def _answered(result):
    return f"{checks.check_answers(result)} answered, all 2xx"


def _list_preflight(key, total, page, page_size=20):
    """The page answers with the exact total and a full page, newest first."""

    def preflight(base_url):
        answer = requests.get(f"{base_url}/v1/contacts?page={page}&page_size={page_size}",
                              headers={"Authorization": f"Bearer {key}"}, timeout=30)
        body = answer.json()
        checks.require(answer.status_code == 200, f"list answered {answer.status_code}")
        checks.require(body["total"] == total, f"total is {body['total']}, {total} were seeded")
        checks.require(len(body["data"]) == page_size, f"{len(body['data'])} contacts on page {page}")
        stamps = [(c["created_at"], c["id"]) for c in body["data"]]
        checks.require(stamps == sorted(stamps, reverse=True), "the page is not newest first")

    return preflight


def _contact_at_depth(app, account, depth, total, tag):
    """The id of the contact with depth contacts newer than it (the seed writes contact n at n ms)."""
    from sqlalchemy import text

    from contactapi.extensions import db

    with app.app_context():
        return db.session.execute(text("SELECT id FROM contacts WHERE account_id = :a AND email = :e"), {
            "a": account.id, "e": f"{tag}-{total - 1 - depth}@seed.example"}).scalar_one()


def _cursor_preflight(key, cursor_id, limit=20):
    """The page after the cursor is full, newest first, starts past the cursor and says there is more."""

    def preflight(base_url):
        answer = requests.get(f"{base_url}/v1/contacts?limit={limit}&starting_after={cursor_id}",
                              headers={"Authorization": f"Bearer {key}"}, timeout=30)
        body = answer.json()
        checks.require(answer.status_code == 200, f"cursor page answered {answer.status_code}")
        checks.require(len(body["data"]) == limit and body["has_more"], "the cursor page is not full")
        stamps = [(c["created_at"], c["id"]) for c in body["data"]]
        checks.require(stamps == sorted(stamps, reverse=True), "the cursor page is not newest first")
        checks.require(cursor_id not in [c["id"] for c in body["data"]], "the cursor is on its own page")

    return preflight


def app_scenarios(app, accounts, sizes, postgres=False):
    """The service's scenarios; accounts maps a role to a seed.Account, sizes the seeded counts."""
    return post_scenarios(app, accounts, postgres) + _get_scenarios(app, accounts, sizes)


def post_scenarios(app, accounts, postgres=False):
    """The three writes (new address, upsert, browser form) by the accounts "new", "upsert" and "form".

    The targets are issue 14's: on PostgreSQL the database shares the 2 cores, so its ratios are lower."""
    new, same, form = accounts["new"], accounts["upsert"], accounts["form"]
    write_ratio = 0.35 if postgres else 0.45
    return [
        Scenario(
            "POST new email", "post_json.lua",
            lambda run: {"BENCH_PATH": "/v1/contacts", "BENCH_KEY": new.secret_key, "BENCH_TAG": f"new{run}",
                         "BENCH_RECORD_EMAILS": "1"},
            "POST", Target(ratio=write_ratio, tail=3),
            check=lambda result, run, emails: checks.check_new_contacts(
                app, new.id, f"new{run}", result, emails, CONNECTIONS),
            notifies=True,
        ),
        Scenario(
            "POST same email (upsert)", "post_json.lua",
            lambda run: {"BENCH_PATH": "/v1/contacts", "BENCH_KEY": same.secret_key,
                         "BENCH_EMAIL": f"same{run}-t0-0@bench.example"},
            "POST", Target(ratio=write_ratio),
            check=lambda result, run, emails: checks.check_upsert(
                app, same.id, f"same{run}-t0-0@bench.example", result, CONNECTIONS),
            notifies=True,
        ),
        Scenario(
            "browser-form POST (publishable key)", "post_form.lua",
            lambda run: {"BENCH_KEY": form.publishable_key, "BENCH_TAG": f"form{run}",
                         "BENCH_ORIGIN": "https://www.bench.example", "BENCH_RECORD_EMAILS": "1"},
            "POST", Target(ratio=None if postgres else 0.40),
            check=lambda result, run, emails: checks.check_new_contacts(
                app, form.id, f"form{run}", result, emails, CONNECTIONS, form=True),
            notifies=True,
        ),
    ]


def _get_scenarios(app, accounts, sizes):
    small, big = accounts["small"], accounts["big"]
    offset_page = sizes["offset"] // 20 + 1
    big_name = f"{sizes['big']:,}".replace(",", " ")
    deep_cursor = _contact_at_depth(app, big, sizes["offset"], sizes["big"], "big")
    return [
        Scenario(
            f"GET list page 1 ({sizes['small']:,} contacts)", "get.lua",
            lambda run: {"BENCH_PATH": "/v1/contacts?page=1&page_size=20", "BENCH_KEY": small.secret_key},
            "GET", Target(ratio=0.40),
            check=lambda result, run, emails: _answered(result),
            preflight=_list_preflight(small.secret_key, sizes["small"], 1),
        ),
        Scenario(
            "GET by id", "get_ids.lua",
            lambda run: {"BENCH_KEY": small.secret_key, "BENCH_IDS_FILE": small.ids_file},
            "GET", Target(ratio=0.50),
            check=lambda result, run, emails: _answered(result),
        ),
        Scenario(
            f"GET list page 1 ({big_name} contacts), 1 connection", "get.lua",
            lambda run: {"BENCH_PATH": "/v1/contacts?page=1&page_size=20", "BENCH_KEY": big.secret_key},
            "GET", Target(p50_ms=5), connections=1,
            check=lambda result, run, emails: _answered(result),
            preflight=_list_preflight(big.secret_key, sizes["big"], 1),
        ),
        Scenario(
            f"GET list at offset {sizes['offset']:,} ({big_name}), 1 connection", "get.lua",
            lambda run: {"BENCH_PATH": f"/v1/contacts?page={offset_page}&page_size=20",
                         "BENCH_KEY": big.secret_key},
            "GET", Target(p50_ms=60), connections=1,
            check=lambda result, run, emails: _answered(result),
            preflight=_list_preflight(big.secret_key, sizes["big"], offset_page),
        ),
        Scenario(
            f"GET cursor page at depth {sizes['offset']:,} ({big_name}), 1 connection", "get.lua",
            lambda run: {"BENCH_PATH": f"/v1/contacts?limit=20&starting_after={deep_cursor}",
                         "BENCH_KEY": big.secret_key},
            "GET", Target(p50_ms=2), connections=1,
            check=lambda result, run, emails: _answered(result),
            preflight=_cursor_preflight(big.secret_key, deep_cursor),
        ),
    ]


def write_ids_file(account, directory):
    """The ids GET-by-id cycles through, one per line, for get_ids.lua."""
    account.ids_file = os.path.join(directory, f"ids-{account.id}.txt")
    with open(account.ids_file, "w") as out:
        out.write("\n".join(account.contact_ids) + "\n")
