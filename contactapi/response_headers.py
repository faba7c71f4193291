"""Several headers written at once, as Headers.set and Headers.setdefault would write them one by one.

Each of those scans every header already there (setdefault three times), and most answers get a dozen
headers after their view (security, rate limits, CORS): one scan for the lot is what they cost now."""


def _names(headers):
    return {name.lower() for name, _value in headers}


def set_all(headers, pairs):
    """headers[name] = value for each (name, value): a header already there is replaced where it stands."""
    present = _names(headers)
    for name, value in pairs:
        if name.lower() in present:
            headers.set(name, value)
        else:
            headers.add(name, value)


def set_missing(headers, pairs):
    """headers.setdefault(name, value) for each (name, value): a header already there is kept."""
    present = _names(headers)
    for name, value in pairs:
        if name.lower() not in present:
            headers.add(name, value)


def vary_on(response, name):
    """response.vary.add(name), without parsing a Vary header when there is none yet."""
    if "vary" in _names(response.headers):
        response.vary.add(name)
    else:
        response.headers.add("Vary", name)
