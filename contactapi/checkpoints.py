"""SQLite checkpoints off the writers' path.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with an fsync) in the commit
that takes the log past wal_autocheckpoint pages (1,000 by default). That commit, and every writer queued
behind it for the single write lock, waits for the copy: measured in process, a submission's commit took
446 µs on average with automatic checkpoints and 128 µs without. So here a connection checkpoints by
itself only past SAFETY_NET_PAGES (a bound, should this thread ever fall behind); after a commit, a writer
that finds the log past CHECKPOINT_BYTES wakes its process's checkpoint thread, which runs a PASSIVE
checkpoint (it waits for no reader or writer, and none waits for it) on a connection of its own, with
the GIL released while SQLite works.

The log's size is only a hint: SQLite rewinds a fully copied log without shrinking its file, so once the file
has grown past the mark every LOOK_EVERY-th commit of a process wakes its thread. PRAGMA journal_size_limit=0
would make the size exact (the commit that starts the log over truncates it): in one process that cut the
checkpoints by two thirds and an upsert's CPU by 7 %, but under gunicorn it did not pay (bench/RESULTS.md). The
log's index (the -shm file) says exactly how many pages wait, but never open that file here: closing any
descriptor of it drops every POSIX lock this process's SQLite connections hold on it, and another connection
may then truncate it under their mapping (a SIGBUS, seen in the test suite; SQLite's "How To Corrupt Your
Database Files", 2.2)."""
import logging
import os
import threading

log = logging.getLogger(__name__)
CHECKPOINT_BYTES = 4 * 1024 * 1024  # about SQLite's default of 1,000 pages
SAFETY_NET_PAGES = 16_000  # SQLite's own checkpoint after this many pages (64 MB), whatever happens here
LOOK_EVERY = 32  # commits between two looks at the log's size (a stat)
_EXTENSION = "contactapi.sqlite_checkpoints"


class _Checkpointer:
    """This process's checkpoint thread for one database file, started the first time it is needed."""

    def __init__(self, engine, database_path, writer_turn):
        self.engine, self.log_path, self.writer_turn = engine, database_path + "-wal", writer_turn
        self.commits, self.pid, self.wake = 0, None, None

    def after_commit(self):
        self.commits += 1
        if self.commits % LOOK_EVERY:
            return
        try:
            size = os.stat(self.log_path).st_size
        except OSError:
            return
        if size >= CHECKPOINT_BYTES:
            self._thread().set()

    def _thread(self):
        if self.pid != os.getpid():  # a forked worker starts its own
            self.pid, self.wake = os.getpid(), threading.Event()
            threading.Thread(target=self._run, args=(self.wake,), name="sqlite-checkpoint", daemon=True).start()
        return self.wake

    def _run(self, wake):
        while True:
            wake.wait()
            wake.clear()
            try:
                with self.engine.connect() as connection:
                    # Most of the log is copied while writers go on; what they wrote meanwhile is copied in
                    # their turn, so the log ends fully copied and the next writer starts it over (SQLite
                    # rewinds a log only when no frame of it is left to copy).
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                    with self.writer_turn():
                        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # the next commit past the mark tries again
                log.exception("SQLite checkpoint failed")


def register(app, engine, database_path, writer_turn):
    """writer_turn() → a context manager that holds every other writer of the file off (database.py)."""
    app.extensions[_EXTENSION] = _Checkpointer(engine, database_path, writer_turn)


def after_commit(app):
    """Call after each write transaction commits (outside the writers' turn)."""
    checkpointer = app.extensions.get(_EXTENSION)
    if checkpointer is not None:
        checkpointer.after_commit()
