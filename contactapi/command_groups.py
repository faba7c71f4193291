"""The operator's command groups: a database that cannot be reached or holds no schema ends a command with one
line saying so, not a SQLAlchemy traceback."""
import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError


class CommandGroup(AppGroup):
    """An AppGroup whose commands turn a database they cannot use into a one-line error (exit 1)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        # Unreachable (OperationalError), or no table where the schema should be (SQLite: OperationalError,
        # PostgreSQL: ProgrammingError). The driver's message only: SQLAlchemy's adds the SQL and its parameters.
        except (OperationalError, ProgrammingError) as error:
            reason = (str(error.orig).strip().splitlines() or ["no reason given"])[0]
            raise click.ClickException(f"The database cannot be used: {reason}. Check DATABASE_URL, and run "
                                       "`flask --app wsgi db upgrade` if the schema is missing.") from None
