"""NUL, the one character no text of ours may hold: PostgreSQL refuses it in any text value (a DataError, so a
500) where SQLite stores and compares it. No id, cursor or address has one, so a request carrying it in its path
or query string is answered here, before any view or SQL, the same on both databases: a path with NUL names
nothing (404), a query with NUL is invalid (400 invalid_query). Bodies are judged by their readers (payloads.py's
invalid_text, the dashboard's forms)."""
from flask import abort, request

from .errors import render_error

NUL = "\x00"
QUERY_WITH_NUL = "The query string cannot contain a NUL character (%00)."


def has_nul(text):
    return isinstance(text, str) and NUL in text


def _refuse_nul():
    """before_request of every route: a 404 for a path with NUL, a 400 for a query string with it."""
    if request.view_args and any(has_nul(value) for value in request.view_args.values()):
        abort(404)
    if any(has_nul(name) or has_nul(value) for name, value in request.args.items(multi=True)):
        return render_error(400, QUERY_WITH_NUL, "invalid_query")
    return None


def register(app):
    app.before_request(_refuse_nul)
