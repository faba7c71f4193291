"""SQLite checkpoints off the writers' path.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with an fsync) in the commit
that takes the log past wal_autocheckpoint pages (1,000 by default). That commit, and every writer queued
behind it for the single write lock, waits for the copy: measured in process, a submission's commit took
446 µs on average with automatic checkpoints and 128 µs without. So here a connection checkpoints by
itself only past SAFETY_NET_PAGES (a bound, should this thread ever fall behind); after a commit, a writer
that finds the log past CHECKPOINT_BYTES wakes its process's checkpoint thread, which runs a PASSIVE
checkpoint (it waits for no reader or writer, and none waits for it) on a connection of its own, with
the GIL released while SQLite works.

A commit looks at the log's size every LOOK_EVERY commits. SQLite rewinds a fully copied log without shrinking
its file, so every connection sets journal_size_limit to LOG_SIZE_LIMIT (0): the commit that starts the log
over truncates the file to its own pages, and the file's size is what the log took since then. Without it the
file kept the largest size it ever reached, and once that was past the mark each process woke its thread every
LOOK_EVERY of its commits: in one process 187 checkpoints for 6,000 upserts instead of 65, and 240 µs of CPU an
upsert instead of 222 (`python -m bench.checkpoint_cost`). The log's index (the -shm file) says exactly how
many pages wait, but never open that file here: closing any descriptor of it drops every POSIX lock this
process's SQLite connections hold on it, and another connection may then truncate it under their mapping (a
SIGBUS, seen in the test suite; SQLite's "How To Corrupt Your Database Files", 2.2)."""
import logging
import os
import threading

log = logging.getLogger(__name__)
CHECKPOINT_BYTES = 4 * 1024 * 1024  # about SQLite's default of 1,000 pages
SAFETY_NET_PAGES = 16_000  # SQLite's own checkpoint after this many pages (64 MB), whatever happens here
LOG_SIZE_LIMIT = 0  # journal_size_limit: a log started over is truncated to its first commit's pages
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
                self.checkpoint()
            except Exception:  # the next commit past the mark tries again
                log.exception("SQLite checkpoint failed")

    def checkpoint(self):
        """Copy the log back into the database file, so that the next writer starts it over."""
        with self.engine.connect() as connection:
            # Most of the log is copied while writers go on; what they wrote meanwhile is copied in their
            # turn, so the log ends fully copied and the next writer starts it over (SQLite rewinds a log
            # only when no frame of it is left to copy).
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            with self.writer_turn():
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def register(app, engine, database_path, writer_turn):
    """writer_turn() → a context manager that holds every other writer of the file off (database.py)."""
    app.extensions[_EXTENSION] = _Checkpointer(engine, database_path, writer_turn)


def after_commit(app):
    """Call after each write transaction commits (outside the writers' turn)."""
    checkpointer = app.extensions.get(_EXTENSION)
    if checkpointer is not None:
        checkpointer.after_commit()
