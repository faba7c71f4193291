"""SubmitError: how the submit flow (submit.py, submit_keys.py) refuses a submission, for the doors to answer."""
from .submission_fields import Problem


class SubmitError(Exception):
    """A submission refused: status, message, stable code, the field at fault (or None) and every problem.

    principal (when the key was known) and error_url (an admitted `_error`/`error_url`) let the door answer."""

    def __init__(self, status, message, code, field=None, problems=None):
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field
        self.problems = tuple(problems or [Problem(field, message, code)])
        self.principal, self.error_url = None, None
