"""flask keys …, flask contacts …, flask idempotency prune, flask spam prune and flask search rebuild: the
operator's commands."""
import click
from flask import Flask, current_app

from . import accounts, exports, idempotency, keys, search_index, spam_folder
from .addresses import InvalidEmail
from .command_groups import CommandGroup
from .extensions import db
from .inbox import InboxFilter
from .models import ApiKey
from .search import InvalidQuery, checked_query


def _account_or_fail(email):
    try:
        account = accounts.find_account(email)
    except InvalidEmail as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    if account is None:
        raise click.ClickException(f"No account for {email}.")
    return account


keys_group = CommandGroup("keys", help="Create, list and disable API keys.")
contacts_group = CommandGroup("contacts", help="Export contacts.")
spam_group = CommandGroup("spam", help="The spam folder.")
idempotency_group = CommandGroup("idempotency", help="Answers kept for Idempotency-Key retries.")
search_group = CommandGroup("search", help="The full-text search over submissions.")


@keys_group.command("create")
@click.option("--email", required=True, help="The owner's email address (the account is created if new).")
@click.option("--kind", type=click.Choice(keys.KINDS), required=True)
@click.option("--domain", "domains", multiple=True, help="Lock a publishable key to this domain (repeatable).")
@click.option("--name", default="", help="A name to tell keys apart.")
def create_key(email, kind, domains, name):
    """Create a key and print it alone on the last line (a secret key is shown only this once)."""
    # The domains are checked before anything is written: a refused key leaves no new account behind.
    try:
        domains = keys.domains_for(kind, domains)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--domain") from None
    try:
        account = accounts.get_or_create_account(email)
        key, raw = keys.create_key(account, kind, name=name, domains=domains)
    except InvalidEmail as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    except (ValueError, keys.KeyLimitReached) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {key.kind} key {key.id} for {account.email}.", err=True)
    click.echo(raw)


@keys_group.command("list")
@click.option("--email", required=True)
def list_keys(email):
    """List an account's keys (secret keys masked)."""
    account = _account_or_fail(email)
    for key in keys.keys_of(account.id):
        shown = key.public_value or key.display
        domains = ",".join(key.domains) or "any domain"
        click.echo(f"{key.id}\t{key.kind}\t{key.status}\t{shown}\t{domains}\t{key.name}")


@keys_group.command("disable")
@click.argument("key_id")
def disable_key(key_id):
    """Disable a key by its id (key_…)."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise click.ClickException(f"No key {key_id}.")
    keys.set_status(key, "disabled")
    click.echo(f"Disabled {key_id}.")


@contacts_group.command("export")
@click.option("--email", required=True, help="The owner's email address.")
@click.option("--format", "fmt", type=click.Choice(sorted(exports.FORMATS)), default="csv")
@click.option("--submissions", is_flag=True, help="Every submission instead of the contacts.")
@click.option("--search", default="", help="Only what matches this search (as in the dashboard).")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="A file (default: stdout).")
def export_contacts(email, fmt, submissions, search, output):
    """Export an account's contacts (or submissions), streamed in batches."""
    try:
        search = checked_query(search)
    except InvalidQuery as error:
        raise click.BadParameter(str(error), param_hint="--search") from None
    account = _account_or_fail(email)
    if submissions:
        export = exports.submissions_export(account.id, InboxFilter(query=search))
    else:
        export = exports.contacts_export(account.id, search)
    for chunk in exports.stream(export, fmt):
        output.write(chunk)


@idempotency_group.command("prune")
def prune_idempotent_answers():
    """Delete answers older than 24 hours (each account's own are also pruned by its next keyed write)."""
    click.echo(f"Deleted {idempotency.prune()} expired idempotent answers.")


@spam_group.command("prune")
def prune_spam():
    """Delete spam older than SPAM_KEEP_DAYS in every account (each new spam prunes its own account's)."""
    click.echo(f"Deleted {spam_folder.prune()} spam submissions older than "
               f"{current_app.config['SPAM_KEEP_DAYS']} days.")


@search_group.command("rebuild")
def rebuild_search():
    """Rebuild the search index from the submissions (SQLite: after VACUUM, VACUUM INTO or restoring a backup)."""
    click.echo(f"Search index rebuilt: {search_index.rebuild()} submissions.")


def register(app: Flask):
    app.cli.add_command(keys_group)
    app.cli.add_command(contacts_group)
    app.cli.add_command(idempotency_group)
    app.cli.add_command(spam_group)
    app.cli.add_command(search_group)
