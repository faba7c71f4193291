"""memory:// limits count in ratelimit_memory's storage: the answers limits' MemoryStorage gives, for each
strategy the config may choose (RATELIMIT_STRATEGY), with no thread started by counting and expired counts
dropped."""
import random
import threading
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import STRATEGIES

from contactapi.ratelimit_memory import SWEEP_INTERVAL, WorkerMemoryStorage

ALL_STRATEGIES = ("fixed-window", "moving-window", "sliding-window-counter")


@pytest.fixture
def clock(monkeypatch):
    """time.time() as a list to move: clock[0] += seconds. It starts a second into a minute, so that half a
    minute on is still in the same minute's window (a sliding window counter weighs the previous one)."""
    now = [time.time() // 60 * 60 + 1]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


def test_counting_starts_no_thread(make_app, make_key, monkeypatch):
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread) or real_start(thread))
    client = make_app(RATELIMIT_SECRET_KEY="3/minute").test_client()
    headers = {"Authorization": f"Bearer {make_key()}"}
    started.clear()  # only what counting starts
    assert [client.get("/v1/contacts", headers=headers).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert [thread for thread in started if isinstance(thread, threading.Timer)] == []


@pytest.mark.parametrize("strategy", ALL_STRATEGIES)
def test_a_spent_budget_comes_back_once_its_window_has_passed(make_app, make_key, clock, strategy):
    client = make_app(RATELIMIT_SECRET_KEY="2/minute", RATELIMIT_STRATEGY=strategy).test_client()
    headers = {"Authorization": f"Bearer {make_key()}"}
    answers = [client.get("/v1/contacts", headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 61
    clock[0] += 30
    assert client.get("/v1/contacts", headers=headers).status_code == 429
    clock[0] += 91  # the sliding window counter still weighs the previous window: two windows on
    again = client.get("/v1/contacts", headers=headers)
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "1"


def test_the_scheme_is_registered_with_limits():
    assert isinstance(storage_from_string("worker-memory://"), WorkerMemoryStorage)


@pytest.mark.parametrize("strategy", ALL_STRATEGIES)
def test_the_answers_are_those_of_limits_memory_storage(clock, strategy):
    """Random hits, tests and window reads on several limits and identities, the clock moving on by
    fractions of a second to half a minute (expiry and sweeps included)."""
    rnd = random.Random(strategy)
    ours, theirs = STRATEGIES[strategy](WorkerMemoryStorage()), STRATEGIES[strategy](MemoryStorage())
    items = [parse(text) for text in ("3/second", "5/10 seconds", "7/minute", "2/minute")]
    for _ in range(1500):
        clock[0] += rnd.choice([0.013, 0.17, 0.9, 2.3, 6.7, 31.1]) * rnd.random()
        item, who, cost = rnd.choice(items), rnd.choice("abc"), rnd.choice([1, 1, 1, 2])
        operation = rnd.choice(["hit", "hit", "test", "stats"])
        if operation == "hit":
            assert ours.hit(item, who, cost=cost) == theirs.hit(item, who, cost=cost)
        elif operation == "test":
            assert ours.test(item, who, cost=cost) == theirs.test(item, who, cost=cost)
        else:
            expected = tuple(theirs.get_window_stats(item, who))
            if strategy == "moving-window" and expected[1] == item.amount:
                # An empty window: MemoryStorage answers from entries its timer thread has not swept yet (a
                # reset in the past) or, once they are, as here. ratelimits reads a window only after a hit.
                expected = (clock[0] + item.get_expiry(), item.amount)
            assert tuple(ours.get_window_stats(item, who)) == expected


@pytest.mark.parametrize("strategy", ALL_STRATEGIES)
def test_expired_counts_are_dropped(clock, strategy):
    storage = WorkerMemoryStorage()
    limiter, limit = STRATEGIES[strategy](storage), parse("5/minute")
    for n in range(100):
        assert limiter.hit(limit, f"client-{n}")
    clock[0] += 2 * 60 + SWEEP_INTERVAL  # past every window (the sliding counter keeps two) and a sweep due
    assert limiter.hit(limit, "one more")  # a write sweeps
    assert storage.reset() == 1  # what was left: the last client's count


def test_clear_forgets_one_budget():
    storage = WorkerMemoryStorage()
    limiter, limit = STRATEGIES["fixed-window"](storage), parse("1/minute")
    assert limiter.hit(limit, "a") and limiter.hit(limit, "b")
    assert not limiter.hit(limit, "a")
    limiter.clear(limit, "a")
    assert limiter.hit(limit, "a") and not limiter.hit(limit, "b")
