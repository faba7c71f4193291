"""gunicorn settings for production; `gunicorn wsgi:app` reads this file.

Every value can be overridden from the environment, so one file serves a single SQLite host and a fleet
of PostgreSQL + Redis hosts behind a load balancer (README: Deploying)."""
import logging
import os
import re
import sys

from gunicorn.glogging import Logger

from contactapi import check_settings
from contactapi.config import ConfigError, env_int
from contactapi.redaction import redact, redact_header


def _cores():
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on (containers, taskset)
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("BIND", "127.0.0.1:5000")
# The work is CPU-bound Python with short database calls, so processes, not threads, use the cores:
# sync workers, 2 × cores + 1 of them (measured against gthread in bench/RESULTS.md).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = env_int("WEB_CONCURRENCY", 2 * _cores() + 1, minimum=1)
threads = env_int("GUNICORN_THREADS", 1, minimum=1)
# A request that takes longer than this is stuck (SQLite's busy timeout is 30 s too): the worker is replaced.
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=0)
graceful_timeout = 30
# Seconds an idle keep-alive connection stays open (gthread workers; sync workers close after each
# answer). Behind a load balancer that reuses connections, make it longer than the balancer's idle timeout.
keepalive = env_int("GUNICORN_KEEPALIVE", 5, minimum=0)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "-": stdout; a path; "" for none
errorlog = "-"
# The control socket ($HOME/.gunicorn/gunicorn.ctl) is not used, and two servers on one host would fight over it.
control_socket_disable = True
# Forwarded headers are read in one place, the app's ProxyFix, and only as far as TRUSTED_PROXIES says
# proxies stand in front. gunicorn would otherwise believe X-Forwarded-Proto from loopback (its default) or
# from anyone on a unix socket, and any local client could claim https: it trusts no one's.
forwarded_allow_ips = ""
secure_scheme_headers = {}


class RedactedAtoms(dict):
    """gunicorn's access-log atoms, each passed through the one redaction rule (secret keys, link tokens,
    webhook secrets, cookies and credentials become [redacted]) as the log format reads it, whatever
    access_log_format an operator chooses; otherwise as gunicorn's own SafeAtoms (names in braces match
    whatever their case, a missing atom is "-", double quotes escaped). Read, not built: a request has some
    sixty atoms (every header and environ entry) and a format reads about ten, and redacting all of them
    cost 115 µs a request (bench/RESULTS.md)."""

    HEADER_ATOM = re.compile(r"\{(.+)\}([ioe])")  # {name}i request header, {name}o response, {name}e environ

    def __getitem__(self, name):
        if name.startswith("{"):
            name = name.lower()
        if name not in self:
            return "-"
        value = super().__getitem__(name)
        if not isinstance(value, str):
            return value
        header = self.HEADER_ATOM.fullmatch(name)
        value = redact_header(self._header_name(*header.groups()), value) if header else redact(value)
        return value.replace('"', '\\"')

    @staticmethod
    def _header_name(name, source):
        if source == "e" and name.upper().startswith("HTTP_"):
            return name[5:].replace("_", "-")
        return name


class RedactedMessages(logging.Filter):
    """Each error-log record with the one redaction rule applied: gunicorn quotes a malformed request line
    there ("Invalid HTTP request line: 'GET /v1/contacts?access_key=…'")."""

    def filter(self, record):
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class RedactingLogger(Logger):
    """gunicorn's logger, its access log redacted (RedactedAtoms), and its error log (RedactedMessages)."""

    atoms_wrapper_class = RedactedAtoms

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(RedactedMessages())


logger_class = RedactingLogger


def on_starting(server):
    """Every setting checked once, in the master, before any worker starts: one the app cannot run with stops
    gunicorn with one line naming it (each worker would print its own traceback, and gunicorn's "Worker failed
    to boot" would come last)."""
    try:
        check_settings()
    except ConfigError as error:
        print(f"contactapi.config.ConfigError: {error}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def post_worker_init(worker):
    # Each worker process drains the outbox in the background from the moment it boots (README: Deliveries).
    from contactapi.deliveries import worker as deliveries

    deliveries.start_embedded(worker.wsgi)


def worker_exit(server, worker):
    # A delivery still being sent is not lost: its row is claimed again when its lease ends (logged).
    app = getattr(worker, "wsgi", None)
    if app is None:  # the worker never loaded the app (e.g. a ConfigError): nothing started, and its error stays last
        return
    from contactapi.deliveries import worker as deliveries

    deliveries.stop_embedded(app, timeout=2)
