"""SQLite checkpoints off the writers' path.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with an fsync) in the commit
that takes the log past wal_autocheckpoint pages (1,000 by default). That commit, and every writer queued
behind it for the single write lock, waits for the copy: measured in process, a submission's commit took
446 µs on average with automatic checkpoints and 128 µs without. So here a connection checkpoints by
itself only past SAFETY_NET_PAGES (a bound, should this thread ever fall behind); after a commit, a writer
that finds CHECKPOINT_PAGES in the log not yet copied wakes its process's checkpoint thread, which runs a
PASSIVE checkpoint (it waits for no reader or writer, and none waits for it) on a connection of its own,
with the GIL released while SQLite works.

The pages not yet copied are read from the log's index (the -shm file, whose header layout SQLite
documents in "WAL-mode File Format"), not from the log's size: SQLite rewinds a fully copied log without
shrinking it, so once the file had grown past the mark its size said "copy now" after every few commits
(a checkpoint every ~6 commits under load, for a handful of pages each; bench/RESULTS.md)."""
import logging
import os
import struct
import threading

log = logging.getLogger(__name__)
CHECKPOINT_PAGES = 1_000  # SQLite's own default mark
SAFETY_NET_PAGES = 16_000  # SQLite's own checkpoint after this many pages (64 MB), whatever happens here
LOOK_EVERY = 32  # commits between two looks at the log's index (a read of its header)
# The WAL-index header: mxFrame (the log's last valid frame) at byte 16 of its first copy, nBackfill (the
# frames already copied into the database) at byte 96, both 32-bit in the machine's byte order.
_HEADER_BYTES, _LAST_FRAME, _COPIED = 136, struct.Struct("=I"), 96
_EXTENSION = "contactapi.sqlite_checkpoints"


class _Checkpointer:
    """This process's checkpoint thread for one database file, started the first time it is needed."""

    def __init__(self, engine, database_path, writer_turn):
        self.engine, self.index_path, self.writer_turn = engine, database_path + "-shm", writer_turn
        self.commits, self.pid, self.wake = 0, None, None

    def after_commit(self):
        self.commits += 1
        if self.commits % LOOK_EVERY:
            return
        if uncopied_pages(self.index_path) >= CHECKPOINT_PAGES:
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


def uncopied_pages(index_path):
    """How many pages the log holds that no checkpoint has copied yet, as its index says (0 if unreadable)."""
    try:
        with open(index_path, "rb") as index:
            header = os.pread(index.fileno(), _HEADER_BYTES, 0)
    except OSError:
        return 0
    if len(header) < _HEADER_BYTES:
        return 0
    return _LAST_FRAME.unpack_from(header, 16)[0] - _LAST_FRAME.unpack_from(header, _COPIED)[0]


def register(app, engine, database_path, writer_turn):
    """writer_turn() → a context manager that holds every other writer of the file off (database.py)."""
    app.extensions[_EXTENSION] = _Checkpointer(engine, database_path, writer_turn)


def after_commit(app):
    """Call after each write transaction commits (outside the writers' turn)."""
    checkpointer = app.extensions.get(_EXTENSION)
    if checkpointer is not None:
        checkpointer.after_commit()
