"""Dashboard: the signed-in account's keys — create, disable/enable, delete, domains, notifications."""
from flask import abort, flash, g, redirect, render_template, request, url_for

from .. import challenges, keys, recipients
from ..autoresponders import settings as autoresponder_settings
from ..spam_rules import ContentRules
from . import bp
from .forms import AutoresponderForm, ChallengeForm, ContentRulesForm, DomainsForm, NewKeyForm, VisitorPagesForm
from .signin import account_required
from .snippet import form_snippet, key_created_page


def _own_key(key_id):
    """The signed-in account's key; 404 for any other id, another account's included."""
    key = keys.key_of(g.account.id, key_id)
    if key is None:
        abort(404)
    return key


def _own_publishable_key(key_id):
    """The signed-in account's publishable key: the settings that face a form's visitors have no meaning
    for a secret key, so its id is a 404 here like an unknown one."""
    key = _own_key(key_id)
    if key.kind != "publishable":
        abort(404)
    return key


def _back_to(key):
    return redirect(url_for("keyring.key_page", key_id=key.id), 303)


def _render_keys(form, status=200):
    return render_template("keyring/keys.html", keys=keys.keys_of(g.account.id), form=form), status


def _autoresponder_form(key):
    saved = autoresponder_settings.of_key(key.id)
    return AutoresponderForm(data={
        "enabled": saved.enabled if saved else False,
        "subject": saved.subject if saved else autoresponder_settings.DEFAULT_SUBJECT,
        "body": saved.body if saved else autoresponder_settings.DEFAULT_BODY,
        "double_opt_in": saved.double_opt_in if saved else False})


def _render_key(key, domains_form=None, pages_form=None, challenge_form=None, rules_form=None,
                autoresponder_form=None, status=200):
    snippet = form_snippet(key.public_value, key.challenge, key.challenge_site_key) if key.public_value else None
    challenge_form = challenge_form or ChallengeForm(data={
        "kind": key.challenge or "none", "site_key": key.challenge_site_key or "", "threshold": key.challenge_threshold})
    domains_form = domains_form or DomainsForm(key, data={"domains": key.domains})
    pages_form = pages_form or VisitorPagesForm(
        key, data={"success_url": key.success_url or "", "thank_you_message": key.thank_you_message or ""})
    rules_form = rules_form or ContentRulesForm.of(ContentRules.from_json(key.content_rules))
    if key.kind == "publishable":
        autoresponder_form = autoresponder_form or _autoresponder_form(key)
    return render_template("keyring/key.html", key=key, snippet=snippet, domains_form=domains_form,
                           pages_form=pages_form, challenge_form=challenge_form, rules_form=rules_form,
                           saved_secret=challenges.masked_secret(key),
                           extra_recipients=recipients.of_key(key.id), autoresponder_form=autoresponder_form,
                           autoresponder_idle=autoresponder_settings.why_idle(key)), status


@bp.get("/dashboard/keys")
@account_required
def keys_page():
    return _render_keys(NewKeyForm())


@bp.post("/dashboard/keys")
@account_required
def create_key():
    form = NewKeyForm()
    if not form.validate():
        return _render_keys(form, 400)
    try:
        key, raw = keys.create_key(g.account, form.kind.data, name=form.name.data, domains=form.domains.data)
    except keys.KeyLimitReached as error:
        form.form_errors.append(str(error))
        return _render_keys(form, 409)
    return key_created_page(key, raw)


@bp.get("/dashboard/keys/<key_id>")
@account_required
def key_page(key_id):
    return _render_key(_own_key(key_id))


@bp.post("/dashboard/keys/<key_id>/disable")
@account_required
def disable_key(key_id):
    key = _own_key(key_id)
    keys.set_status(key, "disabled")
    flash(f"Key {key.display} is disabled: requests with it are refused until you enable it again.")
    return _back_to(key)


@bp.post("/dashboard/keys/<key_id>/enable")
@account_required
def enable_key(key_id):
    key = _own_key(key_id)
    try:
        keys.set_status(key, "active")
    except keys.KeyLimitReached as error:
        flash(str(error), "error")
    else:
        flash(f"Key {key.display} is active again.")
    return _back_to(key)


@bp.post("/dashboard/keys/<key_id>/delete")
@account_required
def delete_key(key_id):
    key = _own_key(key_id)
    keys.delete_key(key)
    flash(f"Key {key.display} is deleted.")
    return redirect(url_for("keyring.keys_page"), 303)


@bp.post("/dashboard/keys/<key_id>/domains")
@account_required
def edit_domains(key_id):
    key = _own_key(key_id)
    form = DomainsForm(key)
    if not form.validate():
        return _render_key(key, domains_form=form, status=400)
    keys.set_domains(key, form.domains.data)
    if key.domains:
        flash(f"Saved. This key now works on {', '.join(key.domains)} and their subdomains, nowhere else.")
    else:
        flash("This key now works from any website.")
    return _back_to(key)


@bp.post("/dashboard/keys/<key_id>/notify")
@account_required
def set_notify(key_id):
    key = _own_key(key_id)
    choice = request.form.get("notify")
    if choice not in ("on", "off"):
        abort(400, "notify must be on or off")
    keys.set_notify(key, choice == "on")
    flash("You will get an email for each submission." if key.notify else "Submission emails are off.")
    return _back_to(key)


@bp.post("/dashboard/keys/<key_id>/visitor-pages")
@account_required
def edit_visitor_pages(key_id):
    key = _own_publishable_key(key_id)
    form = VisitorPagesForm(key)
    if not form.validate():
        return _render_key(key, pages_form=form, status=400)
    keys.set_visitor_pages(key, form.success_url.data, (form.thank_you_message.data or "").strip())
    flash("Saved: what visitors see after sending your form.")
    return _back_to(key)


@bp.post("/dashboard/keys/<key_id>/challenge")
@account_required
def edit_challenge(key_id):
    key = _own_publishable_key(key_id)
    form = ChallengeForm()
    if form.validate():
        kind = None if form.kind.data == "none" else form.kind.data
        try:
            challenges.configure(key, kind, form.site_key.data, form.secret.data, form.threshold.data)
        except ValueError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"Saved: visitors must pass {challenges.LABELS[kind]}." if kind else "Saved: no challenge.")
            return _back_to(key)
    return _render_key(key, challenge_form=form, status=400)


@bp.post("/dashboard/keys/<key_id>/content-rules")
@account_required
def edit_content_rules(key_id):
    key = _own_publishable_key(key_id)
    form = ContentRulesForm()
    if not form.validate():
        return _render_key(key, rules_form=form, status=400)
    keys.set_content_rules(key, form.rules)
    flash("Saved: content rules are on for this key." if form.rules.any else "Saved: this key has no content rules.")
    return _back_to(key)


@bp.post("/dashboard/keys/<key_id>/autoresponder")
@account_required
def edit_autoresponder(key_id):
    key = _own_publishable_key(key_id)
    form = AutoresponderForm()
    if not form.validate():
        return _render_key(key, autoresponder_form=form, status=400)
    autoresponder_settings.save(key, form.enabled.data, form.subject.data, form.body.data, form.double_opt_in.data)
    idle = autoresponder_settings.why_idle(key)
    flash("Autoresponder saved." + (f" It sends nothing yet: {idle}" if form.enabled.data and idle else ""))
    return _back_to(key)
