"""/v1/people/<email>: everything the account holds about one address (GET), or erase it all (DELETE)."""
from flask import g

from .. import people
from ..addresses import InvalidEmail
from ..errors import json_error
from . import bp
from .auth import secret_key_required
from .idempotency import idempotent


@bp.get("/people/<path:email>")
@secret_key_required
def get_person(email):
    return people.access(g.principal.account_id, email).as_json()


@bp.delete("/people/<path:email>")
@secret_key_required
@idempotent
def erase_person(email):
    return people.erase(g.principal.account_id, email, f"api:{g.principal.key_id}").as_json()


@bp.errorhandler(InvalidEmail)
def invalid_email(error):
    return json_error(400, str(error), "invalid_email")
