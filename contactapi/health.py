"""GET /healthz: 200 when the database answers."""
from flask import Blueprint
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy, never a 500 page
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
