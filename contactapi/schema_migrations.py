"""Flask-Migrate (`flask db …`, flask_migrate.upgrade()) set up without importing it until a migration runs.

Importing flask_migrate imports Alembic, which imports Mako, which imports Pygments: about 9 MB resident in
every web worker, which never migrates (the operator runs `flask db upgrade` in a process of its own). So the
app holds two stand-ins: a `db` command group that loads the real one when it is run or listed, and an
app.extensions["migrate"] that makes the real Migrate the first time anything reads it."""
import os
import re
from functools import lru_cache

import click

from .command_groups import CommandGroup


_BEHIND = "contactapi.revisions_behind"  # app.extensions key: revisions_behind of the app's migrations
_REVISION = re.compile(r"^(down_)?revision\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


def init_app(app, db, **options):
    """What Migrate(app, db, **options) would do, deferred (options are Migrate's: directory, include_name…)."""
    app.extensions["migrate"] = _DeferredConfig(app, db, options)
    app.extensions[_BEHIND] = revisions_behind(options["directory"])
    app.cli.add_command(_DeferredGroup(app), "db")


@lru_cache(maxsize=4)
def revisions_behind(directory):
    """The revisions of the migrations in directory that another one follows (all but the head): a database
    recorded at one of them has migrations still to run. Read from the files (once per process: they do not
    change while it runs), as Alembic is not imported."""
    revisions, followed = set(), set()
    versions = os.path.join(directory, "versions")
    for name in os.listdir(versions):
        if name.endswith(".py"):
            with open(os.path.join(versions, name), encoding="utf-8") as script:
                for down, revision in _REVISION.findall(script.read()):
                    (followed if down else revisions).add(revision)
    return frozenset(revisions & followed)


def is_behind(app, recorded):
    """Whether a database recorded at these revisions is older than this code (a revision this code does not
    know is newer: in a rolling deploy the migrations run before the old code stops)."""
    return any(revision in app.extensions[_BEHIND] for revision in recorded)


def _real_config(app):
    """The real Migrate on app, made once: it replaces both stand-ins with its own config and `db` group."""
    config = app.extensions["migrate"]
    if isinstance(config, _DeferredConfig):
        # Alembic: imported only by a process that migrates (see above)
        from flask_migrate import Migrate

        Migrate(app, config.db, **config.options)
    return app.extensions["migrate"]


class _DeferredConfig:
    """Stands for flask_migrate's config in app.extensions["migrate"]; reading any of it makes the real one."""

    def __init__(self, app, db, options):
        self.app, self.db, self.options = app, db, options

    def __getattr__(self, name):  # only for what this class does not hold: .migrate, .directory, …
        return getattr(_real_config(self.app), name)


class _DeferredGroup(click.Group):
    """`flask db`: hands the command line over to flask_migrate's own group, loaded at that moment."""

    def __init__(self, app):
        super().__init__("db", help="Perform database migrations.")
        self.app, self.real = app, None

    def _real(self):
        if self.real is None:
            _real_config(self.app)
            from flask_migrate.cli import db as group

            # Its commands, options and callback in one of our groups, so a database that cannot be reached
            # ends `flask db upgrade` with one line too, as every other command (command_groups.py).
            self.real = CommandGroup(group.name, commands=group.commands, params=group.params,
                                     callback=group.callback, help=group.help)
        return self.real

    def make_context(self, info_name, args, parent=None, **extra):
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._real().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        return self._real().get_command(ctx, cmd_name)
