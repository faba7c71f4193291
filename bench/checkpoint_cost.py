"""`python -m bench.checkpoint_cost`: what SQLite's checkpoints cost one process writing through storage.upsert
(the create path's transaction, no request around it), with every connection's journal_size_limit at
checkpoints.LOG_SIZE_LIMIT (ours: a log started over is truncated) against SQLite's default (-1: the log file
keeps the largest size it reached, so its size no longer says how much waits). Each run is a fresh process on
a new SQLite file, the two settings taken in turn; CPU counts every thread of the process, the checkpoint
thread's included."""
import statistics
import subprocess
import sys
import time

RUNS, POSTS = 3, 6000
SETTINGS = {"ours": None, "SQLite's default (-1)": -1}


def one_run(limit):
    """Child: POSTS upserts of new addresses; prints CPU µs per upsert and the number of checkpoints."""
    from contactapi import accounts, checkpoints, storage
    from contactapi.extensions import db

    from .inprocess import migrated_app

    if limit is not None:
        checkpoints.LOG_SIZE_LIMIT = limit
    done = [0]
    checkpoint = checkpoints._Checkpointer.checkpoint

    def counted(self):
        done[0] += 1
        checkpoint(self)

    checkpoints._Checkpointer.checkpoint = counted
    app = migrated_app()
    with app.app_context():
        account_id = accounts.get_or_create_account("o@example.com").id
        db.session.remove()
    with app.test_request_context():
        for n in range(300):  # past the first checkpoint: the log's file has reached its mark
            storage.upsert(account_id, f"warm{n}@bench.example", {"name": "Ada"}, None)
        done[0] = 0
        start = time.process_time()
        for n in range(POSTS):
            storage.upsert(account_id, f"n{n}@bench.example", {"name": "Ada", "plan": "pro"}, None)
        spent = time.process_time() - start
    print(f"{spent / POSTS * 1e6:.1f} {done[0]}")


def main():
    results = {name: [] for name in SETTINGS}
    for _ in range(RUNS):
        for name, limit in SETTINGS.items():
            argument = "ours" if limit is None else str(limit)
            output = subprocess.run([sys.executable, "-m", "bench.checkpoint_cost", argument], check=True,
                                    capture_output=True, text=True).stdout.split()
            results[name].append((float(output[-2]), int(output[-1])))
    baseline = statistics.median(cpu for cpu, _ in results["SQLite's default (-1)"])
    print(f"{POSTS} upserts of new addresses per run, {RUNS} runs of each setting, medians:")
    for name, runs in results.items():
        cpu = statistics.median(cpu for cpu, _ in runs)
        checkpoints = statistics.median(count for _, count in runs)
        print(f"  journal_size_limit {name}: {cpu:.0f} µs CPU per upsert ({cpu / baseline:.2f} × the default), "
              f"{checkpoints:.0f} checkpoints ({POSTS / max(checkpoints, 1):.0f} commits each)")


if __name__ == "__main__":
    if len(sys.argv) == 2:
        one_run(None if sys.argv[1] == "ours" else int(sys.argv[1]))
    else:
        main()
