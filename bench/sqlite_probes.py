"""`python -m bench.sqlite_probes`: the two SQLite measurements behind database.py's settings.

1. The page at offset 500 000 of 1 000 000 contacts, read straight through sqlite3 with the default page
   cache, with PRAGMA mmap_size and with a larger PRAGMA cache_size (and what each does to resident memory).
2. Five processes posting at once through storage.upsert(), with and without the writers' file lock
   (database._WriterTurns) in front of BEGIN IMMEDIATE."""
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

from . import seed

PAGE_SQL = (
    "SELECT contacts.id, contacts.fields, (SELECT contact_count FROM accounts WHERE id = :a) AS total "
    "FROM contacts JOIN (SELECT id FROM contacts WHERE account_id = :a "
    "ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET :offset) AS page ON contacts.id = page.id "
    "ORDER BY contacts.created_at DESC, contacts.id DESC"
)
PRAGMAS = ["", "PRAGMA mmap_size=268435456", "PRAGMA cache_size=-16000"]


def _peak_rss_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def page_timing(path, account_id, pragma):
    """Run in a fresh process per pragma, so each one's resident memory is its own."""
    connection = sqlite3.connect(path)
    if pragma:
        connection.execute(pragma)
    timings = []
    for _ in range(15):
        start = time.perf_counter()
        connection.execute(PAGE_SQL, {"a": account_id, "offset": 500_000}).fetchall()
        timings.append(time.perf_counter() - start)
    timings.sort()
    print(f"  {pragma or 'defaults':32s} offset 500 000: p50 {timings[7] * 1000:6.2f} ms; "
          f"peak RSS {_peak_rss_mib():6.1f} MiB", flush=True)


def _writer(url, account_id, seconds, turns, results, one_address):
    from contactapi import database, storage

    app = seed.make_app(url)
    if not turns:
        app.extensions.pop(database._TURNS, None)
    latencies, end = [], time.monotonic() + seconds
    with app.test_request_context():
        while time.monotonic() < end:
            email = "same@probe.example" if one_address else f"p{os.getpid()}-{len(latencies)}@probe.example"
            start = time.monotonic()
            storage.upsert(account_id, email, {"n": len(latencies)}, None)
            latencies.append(time.monotonic() - start)
            sum(range(12_000))  # a request's other work, about half a millisecond of CPU
    results.put(latencies)


def concurrent_writers(url, account_id, seconds=3, processes=5):
    for one_address in (False, True):
        for turns in (True, False, True, False):
            results = multiprocessing.Queue()
            workers = [multiprocessing.Process(target=_writer, args=(url, account_id, seconds, turns, results,
                                                                     one_address)) for _ in range(processes)]
            for worker in workers:
                worker.start()
            latencies = sorted(sum((results.get() for _ in workers), []))
            for worker in workers:
                worker.join()
            print(f"  {'one address' if one_address else 'new addresses'}, writers' lock {'on ' if turns else 'off'}: "
                  f"{len(latencies) / seconds:5.0f} upserts/s, p50 {latencies[len(latencies) // 2] * 1000:5.2f} ms, "
                  f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:6.2f} ms", flush=True)


def main():
    if len(sys.argv) == 4:  # child: one pragma's page timing
        page_timing(sys.argv[1], int(sys.argv[2]), sys.argv[3])
        return
    workdir = tempfile.mkdtemp(prefix="contactapi-probe-")
    path = os.path.join(workdir, "probe.sqlite3")
    app = seed.make_app(f"sqlite:///{path}")
    seed.reset_schema(app)
    big = seed.seed_contacts(app, seed.make_account(app, "big@owner.example"), 1_000_000, "big")
    print("page at offset 500 000 of 1 000 000 (sqlite3, one connection, 15 reads):")
    for pragma in PRAGMAS:
        subprocess.run([sys.executable, "-m", "bench.sqlite_probes", path, str(big.id), pragma], check=True)
    print("five processes writing at once (storage.upsert, 3 s each):")
    concurrent_writers(f"sqlite:///{path}", seed.make_account(app, "writers@owner.example").id)


if __name__ == "__main__":
    main()
