"""GET /healthz: 200 when the database answers and holds a schema no older than the code; says whether rate
limits are shared or per worker."""
from flask import Blueprint, current_app
from sqlalchemy import text

from . import ratelimits, schema_migrations
from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    # One small query, polled often. A database never migrated (or a mistyped SQLite path, which creates an
    # empty file) answers too, yet every API call fails: the migrations' record of a revision says a schema is
    # there. A revision newer than this code counts (in a rolling deploy the migrations run first); an older one
    # does not (`flask db upgrade` not run yet: every call that needs the new schema fails).
    try:
        recorded = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception:  # any database failure (no such table included) means unhealthy, never a 500 page
        db.session.rollback()
        recorded = []
    if not recorded:
        return {"status": "unavailable"}, 503
    if schema_migrations.is_behind(current_app, recorded):
        return {"status": "unavailable", "reason": "migrations to run: flask --app wsgi db upgrade"}, 503
    # A rate-limit store that is down never fails a request (limits fall back to each worker's memory), so
    # the instance stays healthy: "degraded" tells the operator without taking it out of the balancer.
    return {"status": "ok", "ratelimit": ratelimits.storage_state()}
