"""Nothing lost: after a write scenario, what the database holds must match what was sent and answered."""
import time

from sqlalchemy import func, select

from contactapi import contact_counts
from contactapi.extensions import db
from contactapi.models import Account, Contact, Submission


class CheckFailed(AssertionError):
    pass


def _expected_fields(email, form):
    """The fields the Lua scripts send with an address <tag>-t<thread>-<n>@bench.example."""
    n = int(email.split("@")[0].rsplit("-", 1)[1])
    if form:  # form values arrive as strings
        return {"name": f"Bench {n}", "source": "form", "seq": str(n)}
    return {"name": f"Bench {n}", "source": "wrk", "seq": n}


def require(condition, message):
    if not condition:
        raise CheckFailed(message)


def settle(app, account_id):
    """Wait until the requests still in flight when wrk stopped have committed (the count holds still)."""
    query = select(func.count()).select_from(Submission).where(Submission.account_id == account_id)
    with app.app_context():
        previous, deadline = None, time.monotonic() + 10
        while time.monotonic() < deadline:
            count = db.session.scalar(query)
            db.session.remove()
            if count == previous:
                return
            previous = count
            time.sleep(0.3)


def check_answers(result):
    """Every answer was a 2xx and no connection broke; returns how many 2xx there were."""
    bad = {status: count for status, count in result.statuses.items() if not 200 <= int(status) < 300}
    require(not bad, f"non-2xx answers: {bad}")
    broken = {name: count for name, count in result.errors.items() if count and name != "timeout"}
    require(not broken and not result.errors.get("timeout"), f"socket errors: {result.errors}")
    return sum(result.statuses.values())


def _check_counter(session, account_id):
    stored = session.scalar(select(func.count()).select_from(Contact).where(Contact.account_id == account_id))
    counter = session.scalar(select(contact_counts.TOTAL).where(Account.id == account_id))
    require(stored == counter, f"the contact count is {counter} but the account has {stored} contacts")


def check_new_contacts(app, account_id, tag, result, answered_emails, connections, form=False):
    """Each answered address is stored once with every field sent; each post left one submission."""
    answered = check_answers(result)
    require(len(answered_emails) == answered, f"{answered} answers but {len(answered_emails)} addresses")
    settle(app, account_id)
    with app.app_context():
        session = db.session
        rows = session.execute(
            select(Contact.email, Contact.fields)
            .where(Contact.account_id == account_id, Contact.email.like(f"{tag}-%"))
        ).all()
        stored = {email: fields for email, fields in rows}
        missing = [email for email in answered_emails if email not in stored]
        require(not missing, f"{len(missing)} answered contacts are not stored, e.g. {missing[:3]}")
        # A request still in flight when wrk stopped may be stored without having been counted.
        require(len(stored) <= answered + connections, f"{len(stored)} stored for {answered} answers")
        wrong = [email for email, fields in stored.items() if fields != _expected_fields(email, form)]
        require(not wrong, f"{len(wrong)} contacts with wrong fields, e.g. {wrong[:1]}")
        submissions = session.scalar(
            select(func.count()).select_from(Submission).join(Contact, Contact.id == Submission.contact_id)
            .where(Contact.account_id == account_id, Contact.email.like(f"{tag}-%"))
        )
        require(submissions == len(stored), f"{submissions} submissions for {len(stored)} new contacts")
        _check_counter(session, account_id)
        db.session.remove()
    return f"{answered} answered, {len(stored)} stored, fields exact"


def check_upsert(app, account_id, email, result, connections):
    """One contact for the address whatever the number of posts; every post kept as a submission, up to the
    newest SUBMISSIONS_PER_CONTACT (older ones are pruned, as in production)."""
    answered = check_answers(result)
    created = int(result.statuses.get("201", 0))
    require(created <= 1, f"{created} answers said 201 Created for one address")
    settle(app, account_id)
    with app.app_context():
        session = db.session
        rows = session.execute(
            select(Contact.id, Contact.fields).where(Contact.account_id == account_id, Contact.email == email)
        ).all()
        require(len(rows) == 1, f"{len(rows)} contacts for {email}")
        contact_id, fields = rows[0]
        require(fields["source"] == "wrk" and fields["name"] == f"Bench {fields['seq']}",
                 f"fields mixed from different posts: {fields}")
        kept = session.execute(select(Submission.fields).where(Submission.contact_id == contact_id)).scalars().all()
        cap = app.config["SUBMISSIONS_PER_CONTACT"]
        require(min(answered, cap) <= len(kept) <= min(answered + connections, cap),
                f"{len(kept)} submissions for {answered} answers (at most {cap} kept)")
        mixed = [f for f in kept if f["email"] != email or f["name"] != f"Bench {f['seq']}"]
        require(not mixed, f"{len(mixed)} submissions with wrong fields, e.g. {mixed[:1]}")
        _check_counter(session, account_id)
        db.session.remove()
    return f"{answered} answered, 1 contact, {len(kept)} submissions"


def wait_for_deliveries(app, server, sink, timeout=300):
    """After a write run: wait until the outbox holds nothing pending, and say how long the notifications
    the run queued took to go out after the load stopped and what sending them cost the server."""
    from contactapi.deliveries.models import Delivery

    pending = select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
    started, cpu_before, mails_before = time.monotonic(), server.cpu_seconds(), sink.count
    with app.app_context():
        while (left := db.session.scalar(pending)) and time.monotonic() - started < timeout:
            db.session.remove()
            time.sleep(0.2)
        db.session.remove()
    require(not left, f"{left} deliveries still pending {timeout} s after the load")
    seconds, sent = time.monotonic() - started, sink.count - mails_before
    cpu = (server.cpu_seconds() - cpu_before) * 1000 / max(sent, 1)
    return f"{sent} mails sent in the {seconds:.1f} s after the load ({cpu:.2f} ms server CPU each)"
