"""RFC 7396 JSON merge patch, as PATCH /v1/contacts/<id> applies it to a contact's fields."""


def merge_patch(target, patch):
    """RFC 7396 JSON merge patch: null removes a member, objects merge recursively."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result
