"""Helpers of the delivery tests: the outbox's rows as stored."""
from contactapi.deliveries.models import Delivery
from contactapi.extensions import db


def deliveries_of(app, **where):
    """Every stored delivery (optionally filtered), oldest first, as plain dicts."""
    with app.app_context():
        rows = db.session.query(Delivery).filter_by(**where).order_by(Delivery.created_at, Delivery.id).all()
        found = [{column.name: getattr(row, column.name) for column in Delivery.__table__.columns} for row in rows]
        db.session.remove()
    return found
