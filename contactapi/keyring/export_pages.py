"""Dashboard exports: contacts (filtered like the contacts page) and submissions (filtered like the inbox),
streamed as they are read."""
from datetime import datetime, timezone

from flask import Response, abort, g, request, stream_with_context

from .. import exports
from ..inbox import InboxFilter, InvalidFilter
from . import bp
from .contact_pages import confirmation_filter, query_or_400
from .signin import account_required


def _download(export, fmt):
    if fmt not in exports.FORMATS:
        abort(404)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Response(stream_with_context(exports.stream(export, fmt)), mimetype=exports.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{export.name}-{stamp}.{fmt}"',
        "Cache-Control": "no-store",
    })


@bp.get("/dashboard/export/<fmt>")
@account_required
def export_contacts(fmt):
    _name, confirmed = confirmation_filter()
    return _download(exports.contacts_export(g.account.id, query_or_400(), confirmed), fmt)


@bp.get("/dashboard/inbox/export/<fmt>")
@account_required
def export_submissions(fmt):
    try:
        inbox_filter = InboxFilter.from_args(request.args)
    except InvalidFilter as error:
        abort(400, str(error))
    return _download(exports.submissions_export(g.account.id, inbox_filter), fmt)
