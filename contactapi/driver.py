"""Core statements compiled once per database and run on the driver's own cursor, inside the caller's
SQLAlchemy transaction (or none: database.statement_reads). Only for the hot statements of the create
path (storage.py, the outbox's queue) and of the API's reads (a contact, its pages: contacts.py,
pagination.Keyset): there SQLAlchemy's execution layer (parameter processing, the compiled cache lookup,
building a result) costs about 50 µs a statement, more than SQLite's own work on it.

Parameters and results pass through the very conversions SQLAlchemy applies to their types
(TypeEngine.bind_processor / result_processor for the connection's dialect), so what is written and read
is exactly what SQLAlchemy would write and read. A bound parameter left out of the parameters takes the
value the statement gives it (a literal such as `count + 1`)."""
from dataclasses import dataclass

_PARAMSTYLES = {"sqlite": "named", "postgresql": "pyformat"}  # placeholders each driver takes by name


@dataclass(frozen=True)
class _Compiled:
    sql: str
    binds: tuple      # (name, its value when not given, its converter or None)
    columns: tuple    # (key, its converter or None) of each result column, in order


class Statement:
    """A Core statement (or build(dialect name) → one, for dialect-specific constructs) and the columns its
    rows hold, compiled on first use on each database."""

    def __init__(self, statement, columns=()):
        self.build = statement if callable(statement) else (lambda _name: statement)
        self.columns = tuple(columns)
        self.by_dialect = {}

    def compiled(self, dialect):
        compiled = self.by_dialect.get(dialect.name)
        if compiled is None:
            named = type(dialect)(paramstyle=_PARAMSTYLES[dialect.name])
            sql = self.build(dialect.name).compile(dialect=named)
            binds = tuple((name, bind.effective_value, bind.type.dialect_impl(dialect).bind_processor(dialect))
                          for name, bind in sql.binds.items())
            columns = tuple((column.key, column.type.dialect_impl(dialect).result_processor(dialect, None))
                            for column in self.columns)
            compiled = self.by_dialect[dialect.name] = _Compiled(sql.string, binds, columns)
        return compiled


def _driver_params(compiled, params):
    values = {}
    for name, default, convert in compiled.binds:
        value = params.get(name, default)
        values[name] = convert(value) if convert is not None else value
    return values


def execute(connection, statement, params):
    """Run statement with params (a dict) on connection's driver cursor; its rows as dicts (for the
    columns given to Statement), or [] when it returns none.

    A connection the database dropped (a restart, a failover) is invalidated, as SQLAlchemy's own execution
    would do, so that its next use connects again: on the driver's cursor SQLAlchemy never sees the error,
    and a kept connection (database._KeptConnections) would fail every request after. A read outside any
    transaction is run once more, on the new connection; a write's transaction is lost with the connection,
    so its request fails and the next one starts afresh."""
    compiled = statement.compiled(connection.dialect)
    try:
        return _run(connection, compiled, params)
    except connection.dialect.loaded_dbapi.Error as error:
        if not connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, None):
            raise
        connection.invalidate()
        if connection.in_transaction():
            raise
        return _run(connection, compiled, params)


def _run(connection, compiled, params):
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.sql, _driver_params(compiled, params))
        if not compiled.columns:
            return []
        return [{key: convert(value) if convert is not None else value
                 for (key, convert), value in zip(compiled.columns, row)} for row in cursor.fetchall()]
    finally:
        cursor.close()

