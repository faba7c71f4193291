"""`python -m bench`: benchmark the real service under gunicorn against a bare Flask app, in one run.

SQLite always; PostgreSQL too when --database-url or BENCH_DATABASE_URL names one (it is emptied)."""
import argparse
import os
import re
import shlex
import socket
import statistics
import sys
import tempfile
from contextlib import nullcontext

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from . import checks, report, seed
from .deliveries import MailSink
from .load import Measurement, run_wrk
from .scenarios import app_scenarios, bare_scenarios, create_floor_scenarios, floor_scenario, write_ids_file
from .servers import gunicorn

HIGH_LIMIT = "1000000/minute"
WRITERS = ("new", "upsert", "form", "floor")  # the accounts the POST scenarios write to (floor: create_floor_app)
PROFILES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "out")


def parse_options(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run of 2 s, 50 000 contacts")
    parser.add_argument("--runs", type=int, default=3, help="rounds: every scenario runs once per round")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    # Never DATABASE_URL: the benchmark empties the database it is given.
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL database to EMPTY and use (default: $BENCH_DATABASE_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--output", help="also write the Markdown report to this file")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only the scenarios whose name contains TEXT (repeatable; baselines always run)")
    parser.add_argument("--profile", metavar="SCENARIO",
                        help="record a py-spy flame graph (SVG, in bench/out/) of the workers during every run of "
                             "the scenarios whose name contains SCENARIO (implies --only SCENARIO)")
    parser.add_argument("--profile-format", choices=("svg", "txt"), default="svg",
                        help="svg: a flame graph; txt: collapsed stacks with sample counts, for grep and sort")
    parser.add_argument("--big", type=int, default=1_000_000,
                        help="contacts in the big account (the deep-page scenarios read at half of it)")
    options = parser.parse_args(argv)
    options.sizes = {"small": 10_000, "big": options.big, "offset": options.big // 2}
    if options.profile:
        options.only.append(options.profile)
    if options.quick:
        options.runs, options.duration = 1, 2
        options.sizes = {"small": 10_000, "big": 50_000, "offset": 25_000}
    return options


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_once(server, scenario, run, options, workdir, outbox=None):
    """One checked wrk run of scenario; returns (RunResult, the check's note)."""
    emails_file = os.path.join(workdir, "answered-emails.txt")
    env = {**scenario.env(run), "BENCH_EMAILS_FILE": emails_file}
    cpu_before = server.cpu_seconds()
    profiling = nullcontext()
    if options.profile and options.profile in scenario.name:
        os.makedirs(PROFILES, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", scenario.name.lower()).strip("-")
        svg = os.path.join(PROFILES, f"profile-{slug}-round{run + 1}.{options.profile_format}")
        profiling = server.flame_graph(svg, options.duration)
        print(f"  recording {svg}", flush=True)
    with profiling:
        result = run_wrk(server.base_url, scenario.script, env, scenario.connections, options.threads,
                         options.duration)
    result.cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(result.requests, 1)
    emails = []
    if os.path.exists(emails_file):
        with open(emails_file) as answered:
            emails = answered.read().split()
        os.remove(emails_file)
    note = scenario.check(result, run, emails) if scenario.check else ""
    if scenario.notifies and outbox is not None:
        app, sink = outbox
        note += "; " + checks.wait_for_deliveries(app, server, sink)
    print(f"  round {run + 1} {scenario.name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
          f"p99 {result.p99_ms:.2f} ms, server CPU {result.cpu_ms:.2f} ms/request; {note}", flush=True)
    return result, note


def measure_rounds(pairs, options, workdir, outbox=None):
    """Every (server, scenario) once per round, options.runs rounds, so that a baseline and the scenarios
    compared with it are measured minutes apart at most. Returns ({name: [RunResult per round]}, {name: note})."""
    for server, scenario in pairs:
        if scenario.preflight:
            scenario.preflight(server.base_url)
    runs = {scenario.name: [] for _server, scenario in pairs}
    notes = {}
    for run in range(options.runs):
        for server, scenario in pairs:
            result, notes[scenario.name] = run_once(server, scenario, run, options, workdir, outbox)
            runs[scenario.name].append(result)
    return runs, notes


def _drains_nothing():
    """DELIVERY_EMBEDDED_WORKERS=0 in the environment: the server queues notifications and sends none."""
    return os.environ.get("DELIVERY_EMBEDDED_WORKERS", "").strip() == "0"


def ratio_to_baseline(runs, baseline_runs):
    """The median over rounds of this round's req/s over the baseline's req/s in the same round."""
    return statistics.median(run.rps / base.rps for run, base in zip(runs, baseline_runs))


def prepare_database(url, options, workdir):
    """Migrate an empty database and seed the accounts every scenario uses."""
    app = seed.make_app(url)
    seed.reset_schema(app)
    # Issue 14: the write targets hold with a notification queued per post, so the writers' keys notify.
    accounts = {role: seed.make_account(app, f"{role}@owner.example", notify=role in WRITERS)
                for role in (*WRITERS, "small", "big")}
    print(f"  seeding {options.sizes['small']:,} + {options.sizes['big']:,} contacts", flush=True)
    seed.seed_contacts(app, accounts["small"], options.sizes["small"], "small")
    seed.seed_contacts(app, accounts["big"], options.sizes["big"], "big")
    write_ids_file(accounts["small"], workdir)
    return app, accounts


def _create_floor_of(scenario, floors):
    """The create floor's scenario a write of ours is read against (the same address for the upsert, new
    addresses for the others), or None for anything but our writes."""
    if scenario.baseline != "POST" or scenario in floors:
        return None
    which = "same" if "same" in scenario.name else "new"
    return next((floor for floor in floors if floor.name.startswith(f"create floor POST {which}")), None)


def bench_database(title, url, options):
    """Every scenario on one database; returns the Markdown table."""
    print(f"== {title}", flush=True)
    workdir = tempfile.mkdtemp(prefix="contactapi-bench-")
    postgres = url is not None
    url = url or f"sqlite:///{workdir}/bench.sqlite3"
    app, accounts = prepare_database(url, options, workdir)
    log = os.path.join(workdir, "gunicorn.log")
    sink = MailSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"CONTACTAPI_ENV": "production", "SECRET_KEY": "bench-only", "DATABASE_URL": url,
           "RATELIMIT_PUBLIC_IP": HIGH_LIMIT, "RATELIMIT_PUBLIC_KEY": HIGH_LIMIT, "RATELIMIT_SECRET_KEY": HIGH_LIMIT,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port), "BASE_URL": "http://127.0.0.1"}
    with gunicorn("bench.bare_app:app", free_port(), env, log) as bare, \
            gunicorn("bench.floor_app:app", free_port(), env, log) as floor, \
            gunicorn("bench.create_floor_app:app", free_port(), env, log) as create_floor, \
            gunicorn("wsgi:app", free_port(), env, log) as server:
        baselines = dict(zip(("GET", "POST"), bare_scenarios()))
        scenarios = [scenario for scenario in app_scenarios(app, accounts, options.sizes, postgres=postgres)
                     if not options.only or any(text in scenario.name for text in options.only)]
        # The floor is measured whenever a write is: the ceiling the write targets are read against.
        writes = any(scenario.baseline == "POST" for scenario in scenarios)
        floors = [(floor, floor_scenario())] + [(create_floor, scenario) for scenario in
                                                create_floor_scenarios(accounts["floor"])] if writes else []
        runs, notes = measure_rounds([(bare, s) for s in baselines.values()] + floors
                                     + [(server, s) for s in scenarios],
                                     options, workdir, outbox=None if _drains_nothing() else (app, sink))
        rss = server.peak_worker_rss_mib()
    smtp.stop()
    rows = [(scenario, Measurement(runs[scenario.name]), 1.0, None, "baseline") for scenario in baselines.values()]
    for scenario in [scenario for _server, scenario in floors] + scenarios:
        measurement = Measurement(runs[scenario.name])
        ratio = None
        if scenario.connections > 1:
            ratio = ratio_to_baseline(runs[scenario.name], runs[baselines[scenario.baseline].name])
        note = notes[scenario.name]
        floor = _create_floor_of(scenario, [scenario for _server, scenario in floors])
        if floor is not None:
            note = f"{ratio_to_baseline(runs[scenario.name], runs[floor.name]):.2f} × the create floor; " + note
        rows.append((scenario, measurement, ratio, scenario.target.met(measurement, ratio or 0), note))
    for name in os.listdir(workdir):  # the SQLite file is hundreds of MB; the logs stay
        if name.startswith("bench.sqlite3"):
            os.remove(os.path.join(workdir, name))
    print(f"  gunicorn log: {log}", flush=True)
    return report.table(title, rows, rss)


def database_version(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version()")).scalar()
    engine.dispose()
    return version.split(" on ")[0]


def main(argv=None):
    options = parse_options(sys.argv[1:] if argv is None else argv)
    command = "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    versions = {"PostgreSQL": database_version(options.database_url)} if options.database_url else {}
    tables = []
    try:
        if not options.skip_sqlite:
            tables.append(bench_database("SQLite", None, options))
        if options.database_url:
            tables.append(bench_database("PostgreSQL", options.database_url, options))
    except checks.CheckFailed as failure:
        raise SystemExit(f"CHECK FAILED: {failure}")
    markdown = report.header(command.strip(), options, versions) + "\n\n" + "\n\n".join(tables) + "\n"
    print("\n" + markdown)
    if options.output:
        with open(options.output, "w") as out:
            out.write(markdown)


if __name__ == "__main__":
    main()
