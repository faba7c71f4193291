"""`python -m bench.outbox_load`: the POST scenarios with the outbox on (issue 11), against the bare app.

Every post by the "outbox on" accounts queues two deliveries: the owner's notification mail (to an SMTP sink
on loopback, aiosmtpd) and one webhook call (submission.created, to a receiver on loopback that counts
webhook-ids). The same POST scenarios also run for accounts without either ("outbox off"), on the same
gunicorn, whose embedded delivery workers (DELIVERY_EMBEDDED_WORKERS) send everything. After the load the
harness waits for the outbox to drain and checks that nothing was lost: deliveries queued == posts stored
× 2, every one delivered, none failed, and each webhook-id received once (more than once is counted and
reported: delivery is at least once). SQLite always; PostgreSQL too with --database-url (it is EMPTIED)."""
import argparse
import dataclasses
import os
import shlex
import sys
import tempfile
import time

from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from contactapi.deliveries import endpoints
from contactapi.deliveries.models import Delivery
from contactapi.extensions import db
from contactapi.models import ApiKey, Submission

from . import checks, seed
from .__main__ import HIGH_LIMIT, database_version, free_port, measure_rounds, ratio_to_baseline
from .deliveries import MailSink, receiver
from .load import Measurement
from .scenarios import bare_scenarios, post_scenarios
from .servers import gunicorn

DRAIN_TIMEOUT = 900  # seconds the outbox may take to empty after the load


def _enable_outbox(app, account, hook_url):
    """The account's keys notify its owner; one webhook listens to submission.created."""
    with app.test_request_context():
        db.session.execute(update(ApiKey).where(ApiKey.account_id == account.id).values(notify=True))
        db.session.commit()
        endpoints.create(account.id, hook_url, ["submission.created"])
        db.session.remove()


def _renamed(scenarios, suffix):
    return [dataclasses.replace(scenario, name=f"{scenario.name}, outbox {suffix}") for scenario in scenarios]


def _outbox_state(app, account_ids):
    """(posts stored, {status: deliveries}, {kind: deliveries}, first created, last finished) of the accounts."""
    with app.app_context():
        session = db.session
        posts = session.scalar(select(func.count()).select_from(Submission).where(Submission.account_id.in_(account_ids)))
        mine = Delivery.account_id.in_(account_ids)
        statuses = dict(session.execute(select(Delivery.status, func.count()).where(mine).group_by(Delivery.status)).all())
        kinds = dict(session.execute(select(Delivery.kind, func.count()).where(mine).group_by(Delivery.kind)).all())
        first, last = session.execute(select(func.min(Delivery.created_at), func.max(Delivery.finished_at)).where(mine)).one()
        db.session.remove()
    return posts, statuses, kinds, first, last


def _wait_for_drain(app, account_ids):
    """Seconds until no delivery of the accounts is pending, and how many were pending when the wait began."""
    started = time.monotonic()
    backlog = None
    while time.monotonic() - started < DRAIN_TIMEOUT:
        _posts, statuses, *_ = _outbox_state(app, account_ids)
        pending = statuses.get("pending", 0)
        backlog = pending if backlog is None else backlog
        if not pending:
            return time.monotonic() - started, backlog
        time.sleep(0.5)
    raise checks.CheckFailed(f"the outbox did not drain in {DRAIN_TIMEOUT} s: {statuses}")


def bench_database(title, url, options):
    """The POST scenarios bare, outbox off and outbox on; returns (Markdown table, notes)."""
    print(f"== {title}", flush=True)
    workdir = tempfile.mkdtemp(prefix="contactapi-bench-outbox-")
    url = url or f"sqlite:///{workdir}/bench.sqlite3"
    app = seed.make_app(url)
    app.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)
    seed.reset_schema(app)
    hooks, received = receiver()
    sink = MailSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    on = {role: seed.make_account(app, f"{role}-on@owner.example") for role in ("new", "upsert", "form")}
    off = {role: seed.make_account(app, f"{role}-off@owner.example") for role in ("new", "upsert", "form")}
    for account in on.values():
        _enable_outbox(app, account, f"http://127.0.0.1:{hooks.server_port}/hook")
    env = {"CONTACTAPI_ENV": "production", "SECRET_KEY": "bench-only", "DATABASE_URL": url,
           "RATELIMIT_PUBLIC_IP": HIGH_LIMIT, "RATELIMIT_PUBLIC_KEY": HIGH_LIMIT, "RATELIMIT_SECRET_KEY": HIGH_LIMIT,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port), "BASE_URL": "http://127.0.0.1",
           "WEBHOOK_ALLOW_HTTP": "1", "WEBHOOK_ALLOW_PRIVATE": "1",
           "DELIVERY_EMBEDDED_WORKERS": str(options.embedded_workers),
           "SUBMISSIONS_PER_CONTACT": "1000000"}  # the upsert scenario's one address keeps every post (checked)
    log = os.path.join(workdir, "gunicorn.log")
    try:
        with gunicorn("bench.bare_app:app", free_port(), env, log) as bare, \
                gunicorn("wsgi:app", free_port(), env, log) as server:
            baseline = bare_scenarios()[1]
            with_outbox, without = _renamed(post_scenarios(app, on), "on"), _renamed(post_scenarios(app, off), "off")
            pairs = [(bare, baseline)] + [(server, s) for pair in zip(without, with_outbox) for s in pair]
            runs, notes = measure_rounds(pairs, options, workdir)
            on_ids = [account.id for account in on.values()]
            drain_seconds, backlog = _wait_for_drain(app, on_ids)
            time.sleep(1)  # the last answers of the sinks are counted after the rows are marked
        posts, statuses, kinds, first, last = _outbox_state(app, on_ids)
        _posts_off, statuses_off, *_ = _outbox_state(app, [account.id for account in off.values()])
    finally:
        smtp.stop()
        hooks.shutdown()
    queued = sum(statuses.values())
    twice = sum(count - 1 for count in received.values() if count > 1)
    checks.require(queued == 2 * posts, f"{queued} deliveries queued for {posts} posts stored (expected {2 * posts})")
    checks.require(kinds.get("mail") == posts and kinds.get("webhook") == posts, f"deliveries by kind: {kinds}")
    checks.require(statuses == {"delivered": queued}, f"deliveries by status: {statuses}")
    checks.require(not statuses_off, f"accounts without the outbox queued deliveries: {statuses_off}")
    checks.require(len(received) == posts, f"{len(received)} distinct webhook-ids received for {posts} posts")
    checks.require(sink.count >= posts, f"{sink.count} mails received for {posts} posts")
    overall = queued / max((last - first).total_seconds(), 1e-6)
    print(f"  {queued} deliveries for {posts} posts, all delivered; backlog {backlog} drained in "
          f"{drain_seconds:.1f} s after the load", flush=True)
    rows = []
    for scenario_on, scenario_off in zip(with_outbox, without):
        measured_on, measured_off = Measurement(runs[scenario_on.name]), Measurement(runs[scenario_off.name])
        rows.append((scenario_on.name.rsplit(",", 1)[0], measured_off, measured_on,
                     ratio_to_baseline(runs[scenario_off.name], runs[baseline.name]),
                     ratio_to_baseline(runs[scenario_on.name], runs[baseline.name]),
                     ratio_to_baseline(runs[scenario_on.name], runs[scenario_off.name]), notes[scenario_on.name]))
    bare_rps = Measurement(runs[baseline.name]).rps
    lines = [f"### {title}", "",
             "| scenario | bare POST req/s | outbox off req/s | outbox on req/s | off × bare | on × bare | on × off "
             "| on: server CPU ms/req (off) | checked (outbox on) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, off_m, on_m, off_ratio, on_ratio, cost, note in rows:
        lines.append(f"| {name} | {bare_rps:,.0f} | {off_m.rps:,.0f} | {on_m.rps:,.0f} | {off_ratio:.2f} | "
                     f"{on_ratio:.2f} | {cost:.2f} | {on_m.cpu_ms:.2f} ({off_m.cpu_ms:.2f}) | {note} |")
    lines += ["", f"Deliveries: {queued:,} queued for {posts:,} posts stored (one mail and one webhook each), "
              f"{statuses.get('delivered', 0):,} delivered, 0 failed; the receiver got {len(received):,} distinct "
              f"webhook-ids ({twice} deliveries more than once), the SMTP sink {sink.count:,} mails. "
              f"Drained {overall:,.0f} deliveries/s over the whole run (first queued to last delivered, load "
              f"included); the {backlog:,} still pending when the load stopped took {drain_seconds:.1f} s "
              f"({backlog / max(drain_seconds, 1e-6):,.0f} deliveries/s with no load) with "
              f"{options.embedded_workers} embedded worker thread(s) in each of gunicorn's workers."]
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_load", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="rounds: every scenario runs once per round")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--embedded-workers", type=int, default=1, help="DELIVERY_EMBEDDED_WORKERS")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL database to EMPTY and use (default: $BENCH_DATABASE_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.set_defaults(profile=None)  # measure_rounds (bench/__main__.py) reads it; no profiling here
    options = parser.parse_args(argv)
    tables = []
    try:
        if not options.skip_sqlite:
            tables.append(bench_database("SQLite", None, options))
        if options.database_url:
            tables.append(bench_database(database_version(options.database_url), options.database_url, options))
    except checks.CheckFailed as failure:
        raise SystemExit(f"CHECK FAILED: {failure}")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\ncommand: python -m bench.outbox_load {shlex.join(argv)}\ndate: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
          f"\nload average (1, 5, 15 min) at the end: {load}\n\n" + "\n\n".join(tables))


if __name__ == "__main__":
    main()
