"""Page numbers from a query string, and the page envelope every list answers with."""
import re

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")


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
