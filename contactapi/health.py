"""GET /healthz: 200 when the database answers and holds a schema; says whether rate limits are shared or
per worker."""
from flask import Blueprint
from sqlalchemy import text

from . import ratelimits
from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    # One small query, polled often. A database never migrated (or a mistyped SQLite path, which creates an
    # empty file) answers too, yet every API call fails: the migrations' record of a revision says a schema is
    # there. Any revision: during a rolling deploy the migrations run first, so it may be newer than this code.
    try:
        migrated = db.session.execute(text("SELECT 1 FROM alembic_version LIMIT 1")).first() is not None
    except Exception:  # any database failure (no such table included) means unhealthy, never a 500 page
        db.session.rollback()
        migrated = False
    if not migrated:
        return {"status": "unavailable"}, 503
    # A rate-limit store that is down never fails a request (limits fall back to each worker's memory), so
    # the instance stays healthy: "degraded" tells the operator without taking it out of the balancer.
    return {"status": "ok", "ratelimit": ratelimits.storage_state()}
