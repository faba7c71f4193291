"""The overview after sign-in: per key, submissions today / 7 / 30 days, the last one, and a count per day."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from . import keys, submit
from .submission_fields import Controls
from .database import read_connection
from .models import Submission

submissions = Submission.__table__
DAYS = 30
TEST_MESSAGE = "This is a test submission, sent from your contactapi dashboard."


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class KeyActivity:
    key: object  # the ApiKey, or None for submissions of deleted keys
    per_day: list  # DayCount for each of the last DAYS days, oldest first
    last_at: datetime | None

    def _since(self, days):
        return sum(entry.count for entry in self.per_day[-days:])

    @property
    def today(self):
        return self._since(1)

    @property
    def week(self):
        return self._since(7)

    @property
    def month(self):
        return self._since(DAYS)

    @property
    def busiest(self):
        return max((entry.count for entry in self.per_day), default=0)


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def activity(account_id, today):
    """KeyActivity for each of the account's keys (newest key first), then one for deleted keys if any
    submission of the last DAYS days came through one. today: the current UTC date."""
    first_day = today - timedelta(days=DAYS - 1)
    day = func.date(submissions.c.created_at)
    mine = submissions.c.account_id == account_id
    with read_connection() as connection:
        counts = connection.execute(
            select(submissions.c.key_id, day.label("day"), func.count().label("n"))
            .where(mine, submissions.c.created_at >= datetime.combine(first_day, time()))
            .group_by(submissions.c.key_id, day)
        ).all()
        lasts = dict(connection.execute(
            select(submissions.c.key_id, func.max(submissions.c.created_at)).where(mine).group_by(submissions.c.key_id)
        ).all())
    by_key = {}
    for row in counts:
        by_key.setdefault(row.key_id, {})[_as_date(row.day)] = row.n
    days = [first_day + timedelta(days=n) for n in range(DAYS)]

    def one(key, key_ids):
        found = [by_key.get(key_id, {}) for key_id in key_ids]
        per_day = [DayCount(d, sum(counts.get(d, 0) for counts in found)) for d in days]
        last = max((lasts[key_id] for key_id in key_ids if lasts.get(key_id)), default=None)
        return KeyActivity(key, per_day, last)

    account_keys = keys.keys_of(account_id)
    result = [one(key, [key.id]) for key in account_keys]
    gone = (set(by_key) | set(lasts)) - {key.id for key in account_keys}
    if gone & set(by_key):
        result.append(one(None, sorted(gone, key=str)))
    return result


def send_test(key, owner_email, source):
    """A test submission from the owner's own address through key, stored and notified like any other.

    It takes the submit flow's own last step (store, and queue the deliveries in the same transaction); the
    steps before it judge a visitor's request, and the owner is signed in."""
    principal = keys.principal_of(key, owner_email)
    contact, _created = submit.store(principal, owner_email, {"message": TEST_MESSAGE}, source, Controls())
    return contact
