"""GET /healthz: 200 when the database answers; says whether rate limits are shared or per worker."""
from flask import Blueprint
from sqlalchemy import text

from . import ratelimits
from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy, never a 500 page
        db.session.rollback()
        return {"status": "unavailable"}, 503
    # A rate-limit store that is down never fails a request (limits fall back to each worker's memory), so
    # the instance stays healthy: "degraded" tells the operator without taking it out of the balancer.
    return {"status": "ok", "ratelimit": ratelimits.storage_state()}
