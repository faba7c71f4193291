"""Pages from a query string: numbered pages (page, page_size, with totals) and cursor pages (limit,
starting_after or ending_before, with has_more), both newest first by (created_at, id)."""
import re
from dataclasses import dataclass

from sqlalchemy import or_, select

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


def keyset_page(connection, table, where, cursor, to_json):
    """One cursor page of table's rows matching where, newest first by (created_at, id): a keyset walk of
    the newest-first index from the cursor row, so any depth costs the same. The cursor must be one of
    these rows (another account's id, or an unknown one, is an InvalidPage and reveals nothing).
    Returns {"data", "has_more"}; has_more says whether more rows lie beyond this page in the direction
    walked (older for starting_after and the first page, newer for ending_before)."""
    created_at, row_id = table.c.created_at, table.c.id
    query = select(table).where(*where)
    newer = cursor.ending_before is not None
    anchor_id = cursor.ending_before if newer else cursor.starting_after
    if anchor_id is not None:
        anchor = connection.execute(select(created_at).where(*where, row_id == anchor_id)).first()
        if anchor is None:
            name = "ending_before" if newer else "starting_after"
            raise InvalidPage(f"{name} must be the id of an item of this list")
        # (created_at, id) past the anchor's, written so both databases walk the index range on created_at.
        if newer:
            query = query.where(created_at >= anchor.created_at,
                                or_(created_at > anchor.created_at, row_id > anchor_id))
        else:
            query = query.where(created_at <= anchor.created_at,
                                or_(created_at < anchor.created_at, row_id < anchor_id))
    order = (created_at.asc(), row_id.asc()) if newer else (created_at.desc(), row_id.desc())
    rows = connection.execute(query.order_by(*order).limit(cursor.limit + 1)).all()
    has_more = len(rows) > cursor.limit
    rows = rows[:cursor.limit]
    if newer:
        rows.reverse()
    return {"data": [to_json(row) for row in rows], "has_more": has_more}
