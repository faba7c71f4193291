"""The way back to the site from the pages an autoresponse links to (/confirm, /autoresponses/stop): their
visitor comes from an email, with no Referer, so the way back is the site where they submitted."""
from sqlalchemy import select

from .. import visitors
from ..database import read_connection
from ..models import ApiKey, Submission

submissions, api_keys = Submission.__table__, ApiKey.__table__


def to_the_site(account_id, contact_id=None):
    """The "Back to the site" link: the page the contact's newest submission was sent from, else the home of
    that submission's key's domains; without either (or a contact), the account's only site, when its keys
    name one. None when nothing is known. The submissions are where the link's reader wrote from, whatever
    address the contact holds now (a link that no longer applies still leads back). Stored pages are what
    browsers said: visitors.back_link admits only http(s)."""
    with read_connection() as connection:
        for row in _newest_submissions(connection, account_id, contact_id):
            back = visitors.back_link(row.page, None, row)  # row.domains: its key's, when the key still exists
            if back is not None:
                return back
        sites = {tuple(domains[:1]) for domains in connection.execute(
            select(api_keys.c.domains).where(api_keys.c.account_id == account_id)).scalars() if domains}
    return visitors.home_of(sites.pop()) if len(sites) == 1 else None


def _newest_submissions(connection, account_id, contact_id):
    """The contact's submissions (page, its key's domains), newest first; none without a contact."""
    if contact_id is None:
        return []
    return connection.execute(
        select(submissions.c.page, api_keys.c.domains)
        .outerjoin(api_keys, (api_keys.c.id == submissions.c.key_id) & (api_keys.c.account_id == account_id))
        .where(submissions.c.contact_id == contact_id, submissions.c.account_id == account_id)
        .order_by(submissions.c.created_at.desc(), submissions.c.seq.desc())).all()
