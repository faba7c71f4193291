"""Dashboard: the spam folder — newest first, by key; "Not spam" and "Delete", one at a time or in bulk."""
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from .. import keys, spam_folder, spam_moves, submit
from . import bp
from .contact_pages import page_or_400
from .signin import account_required


@bp.get("/dashboard/spam")
@account_required
def spam_page():
    page, page_size = page_or_400()
    key_id = request.args.get("key") or None
    listing = spam_folder.page_of(g.account.id, page, page_size, key_id=key_id)
    return render_template("keyring/spam.html", listing=listing, key_id=key_id, keys=keys.keys_of(g.account.id),
                           keep_days=current_app.config["SPAM_KEEP_DAYS"])


def _back():
    """The spam page the form came from (its key filter kept)."""
    key_id = request.form.get("key") or None
    return redirect(url_for("keyring.spam_page", key=key_id), 303)


@bp.post("/dashboard/spam/<spam_id>/not-spam")
@account_required
def not_spam(spam_id):
    try:
        contact = spam_moves.not_spam(g.account.id, spam_id)
    except spam_folder.SpamNotFound:
        abort(404)
    except (spam_moves.CannotBeContact, submit.SubmitError) as error:
        flash(str(error), "error")
    else:
        flash(f"Moved to your contacts: {contact['email']}.")
    return _back()


@bp.post("/dashboard/spam/<spam_id>/delete")
@account_required
def delete_spam(spam_id):
    if not spam_folder.delete_spam(g.account.id, [spam_id]):
        abort(404)
    flash("Deleted for good.")
    return _back()


@bp.post("/dashboard/spam/bulk")
@account_required
def spam_bulk_action():
    action = request.form.get("action")
    if action not in ("not_spam", "delete"):
        abort(400, "Choose what to do with the selected spam.")
    ids = spam_folder.valid_ids(request.form.getlist("ids"))
    if not ids:
        flash("Select at least one submission first.", "error")
    elif action == "delete":
        flash(f"Deleted {spam_folder.delete_spam(g.account.id, ids)} for good.")
    else:
        moved, problem = spam_moves.not_spam_many(g.account.id, ids)
        flash(f"Moved {moved} to your contacts.")
        if problem:
            flash(problem, "error")
    return _back()
