"""Pages from a query string: numbered pages (page, page_size, with totals) and cursor pages (limit,
starting_after or ending_before, with has_more), both newest first: by (created_at, id), or by a number that
grows with each row of the list (a contact's submissions: their seq)."""
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select

from . import driver

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")
NUMBERED = ("page", "page_size")
CURSOR = ("limit", "starting_after", "ending_before")


class InvalidPage(ValueError):
    pass


def _whole_number(args, name, default, low, high):
    raw = args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw):
        raise InvalidPage(f"{name} must be an integer")
    if len(raw) > len(str(high)) or not low <= int(raw) <= high:
        raise InvalidPage(f"{name} must be between {low} and {high}")
    return int(raw)


def page_request(args):
    """(page, page_size) from request args: page ≥ 1, page_size 1–100, default 1 and 20."""
    page = _whole_number(args, "page", 1, 1, MAX_PAGE)
    page_size = _whole_number(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return page, page_size


def page_envelope(data, page, page_size, total):
    return {
        "data": data,
        "page": page,
        "page_size": page_size,
        "total": total,
        "total_pages": -(-total // page_size),
    }


@dataclass(frozen=True)
class Cursor:
    """A cursor page: limit items older than starting_after, or newer than ending_before (still shown
    newest first), or the newest when neither is given."""

    limit: int = DEFAULT_PAGE_SIZE
    starting_after: str | None = None
    ending_before: str | None = None


def cursor_request(args, *, only_cursor=False):
    """A Cursor when args ask for a cursor page (limit, starting_after or ending_before), else None for a
    numbered page. Mixing the two kinds, or both cursors, is an InvalidPage; so is an empty cursor.
    only_cursor: the list has no numbered pages, so plain args are the first cursor page."""
    asked = [name for name in CURSOR if name in args]
    if not asked and not only_cursor:
        return None
    mixed = [name for name in NUMBERED if name in args]
    if mixed and asked:
        raise InvalidPage(f"{' and '.join(mixed)} cannot be combined with {' or '.join(asked)}: "
                          "use numbered pages or a cursor, not both")
    if "starting_after" in args and "ending_before" in args:
        raise InvalidPage("starting_after and ending_before cannot be combined")
    for name in ("starting_after", "ending_before"):
        if name in args and not args[name]:
            raise InvalidPage(f"{name} must be an id")
    limit = _whole_number(args, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return Cursor(limit, args.get("starting_after"), args.get("ending_before"))


def _page_query(table, where, cursor_id, newer, limit, number=None):
    """SELECT a cursor page of table's rows matching where: limit rows past the cursor row (cursor_id, or
    none: the newest), in the order walked. One statement: the cursor row's place is a scalar subquery under
    the same where, so a cursor of another list (or an unknown one) makes it NULL and the page empty.
    The order is number's when given (a column unique within the list, larger for newer rows), else
    (created_at, id), written as a range on created_at first; either way the database walks an index from the
    cursor on (… number, or … created_at DESC, id DESC): any depth costs the same."""
    row_id = table.c.id
    query = select(table).where(*where)
    if number is not None:
        if cursor_id is not None:
            anchor = select(number).where(*where, row_id == cursor_id).scalar_subquery()
            query = query.where(number > anchor if newer else number < anchor)
        return query.order_by(number.asc() if newer else number.desc()).limit(limit)
    created_at = table.c.created_at
    if cursor_id is not None:
        anchor = select(created_at).where(*where, row_id == cursor_id).scalar_subquery()
        if newer:
            query = query.where(created_at >= anchor, or_(created_at > anchor, row_id > cursor_id))
        else:
            query = query.where(created_at <= anchor, or_(created_at < anchor, row_id < cursor_id))
    order = (created_at.asc(), row_id.asc()) if newer else (created_at.desc(), row_id.desc())
    return query.order_by(*order).limit(limit)


def _cursor_of(cursor):
    """(the cursor row's id or None, whether the walk goes to newer rows)."""
    newer = cursor.ending_before is not None
    return (cursor.ending_before if newer else cursor.starting_after), newer


def _unknown_cursor(newer):
    name = "ending_before" if newer else "starting_after"
    return InvalidPage(f"{name} must be the id of an item of this list")


def _envelope(rows, cursor, newer, to_json):
    has_more = len(rows) > cursor.limit
    rows = rows[:cursor.limit]
    if newer:
        rows.reverse()
    return {"data": [to_json(row) for row in rows], "has_more": has_more}


def keyset_page(connection, table, where, cursor, to_json):
    """One cursor page of table's rows matching where, newest first by (created_at, id) (see _page_query),
    through SQLAlchemy: any where. The cursor must be one of these rows (another list's id, or an unknown
    one, is an InvalidPage and reveals nothing). to_json gets each row (a Row).
    Returns {"data", "has_more"}; has_more says whether more rows lie beyond this page in the direction
    walked (older for starting_after and the first page, newer for ending_before)."""
    cursor_id, newer = _cursor_of(cursor)
    rows = connection.execute(_page_query(table, where, cursor_id, newer, cursor.limit + 1)).all()
    if not rows and cursor_id is not None and connection.execute(
            select(table.c.id).where(*where, table.c.id == cursor_id)).first() is None:
        raise _unknown_cursor(newer)
    return _envelope(rows, cursor, newer, to_json)


class Keyset:
    """keyset_page for the lists of table picked by equal scope columns (a contact's submissions: contact_id
    and account_id), newest first by number if given (see _page_query), its statements built once and run on
    the driver (driver.py). A cursor page is an API hot path: building the statement per request (SQLAlchemy's
    cache key, coercions) and its execution layer cost several times what the database does to walk twenty
    rows of an index."""

    def __init__(self, table, *scope, number=None):
        where = [column == bindparam(f"scope_{column.name}", type_=column.type) for column in scope]
        limit, cursor_id = bindparam("p_limit"), bindparam("p_cursor", type_=table.c.id.type)
        self.first = driver.Statement(_page_query(table, where, None, False, limit, number), table.c)
        self.older = driver.Statement(_page_query(table, where, cursor_id, False, limit, number), table.c)
        self.newer = driver.Statement(_page_query(table, where, cursor_id, True, limit, number), table.c)
        self.exists = driver.Statement(select(table.c.id).where(*where, table.c.id == cursor_id), [table.c.id])

    def page(self, connection, cursor, to_json, **scope):
        """keyset_page for the list whose scope columns hold scope's values (by column name); to_json gets
        each row as a dict."""
        cursor_id, newer = _cursor_of(cursor)
        params = {f"scope_{name}": value for name, value in scope.items()}
        params.update(p_limit=cursor.limit + 1, p_cursor=cursor_id)
        statement = self.first if cursor_id is None else self.newer if newer else self.older
        rows = driver.execute(connection, statement, params)
        if not rows and cursor_id is not None and not driver.execute(connection, self.exists, params):
            raise _unknown_cursor(newer)
        return _envelope(rows, cursor, newer, to_json)
