"""Dashboard inbox: every submission newest first, filters and search, one submission (read as opened),
and bulk actions."""
from urllib.parse import parse_qsl

from flask import abort, flash, g, redirect, render_template, request, url_for

from .. import exports, inbox, keys, spam_moves
from . import bp
from .signin import account_required
from .contact_pages import page_or_400

RETURN_ARGS = ("key", "since", "until", "state", "q", "page")
# Each bulk action: what it does and what the owner is told; the page shows one button per entry.
BULK_ACTIONS = {
    "read": (lambda account_id, ids: inbox.mark(account_id, ids, read=True), "Marked {n} as read."),
    "unread": (lambda account_id, ids: inbox.mark(account_id, ids, read=False), "Marked {n} as unread."),
    "delete": (inbox.remove, "Deleted {n} submission(s)."),
    "spam": (spam_moves.move_to_spam, "Moved {n} to spam."),
}
BULK_LABELS = {"read": "Mark read", "unread": "Mark unread", "spam": "Move to spam", "delete": "Delete"}


@bp.get("/dashboard/inbox")
@account_required
def inbox_page():
    page, page_size = page_or_400()
    error, status = None, 200
    try:
        inbox_filter = inbox.InboxFilter.from_args(request.args)
    except inbox.InvalidFilter as problem:
        error, status, inbox_filter = str(problem), 400, inbox.InboxFilter()
    listing = inbox.page_of(g.account.id, inbox_filter, page, page_size)
    return render_template("keyring/inbox.html", listing=listing, inbox_filter=inbox_filter, error=error,
                           keys=keys.keys_of(g.account.id), formats=exports.FORMATS, bulk_labels=BULK_LABELS,
                           back=request.query_string.decode("utf-8", "replace")), status


@bp.get("/dashboard/inbox/<submission_id>")
@account_required
def submission_page(submission_id):
    try:
        item = inbox.open_submission(g.account.id, submission_id)
    except inbox.SubmissionNotFound:
        abort(404)
    return render_template("keyring/submission.html", item=item, back=request.args.get("back", ""))


def _inbox_url(back):
    """The inbox page a bulk action came from: only the inbox's own arguments are carried over."""
    args = {name: value for name, value in parse_qsl(back or "") if name in RETURN_ARGS}
    return url_for("keyring.inbox_page", **args)


@bp.post("/dashboard/inbox/bulk")
@account_required
def bulk_action():
    action = request.form.get("action")
    if action not in BULK_ACTIONS:
        abort(400, "Choose what to do with the selected submissions.")
    ids = inbox.valid_ids(request.form.getlist("ids"))
    if not ids:
        flash("Select at least one submission first.", "error")
    else:
        run, message = BULK_ACTIONS[action]
        flash(message.format(n=run(g.account.id, ids)))
    return redirect(_inbox_url(request.form.get("back")), 303)
