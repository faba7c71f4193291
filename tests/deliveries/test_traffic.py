"""Embedded workers give way to the requests their process serves: a due delivery waits for a pause in
them, but never longer than DELIVERY_MAX_LAG past its due time."""
import threading
from types import SimpleNamespace

from contactapi.deliveries import traffic as requests_served
from contactapi.deliveries import worker
from tests.deliveries.helpers import deliveries_of
from tests.deliveries.test_outbox import _queue_mail


def _run_once_in_background(app, traffic):
    stop, attempted = threading.Event(), []

    def work():
        with app.app_context():
            attempted.append(worker.run_once(stop, traffic))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, stop, attempted


def _worker_during_a_request(make_app, max_lag):
    """An app with one mail due, its worker's run_once started in the background while a request is being
    served (one that has not ended): app, traffic, thread, stop and attempted."""
    app = make_app(DELIVERY_MAX_LAG=max_lag)
    _queue_mail(app)
    traffic = requests_served.Traffic()
    traffic.started()
    thread, stop, attempted = _run_once_in_background(app, traffic)
    return SimpleNamespace(app=app, traffic=traffic, thread=thread, stop=stop, attempted=attempted)


def test_a_due_delivery_waits_while_a_request_is_being_served_and_goes_when_it_ends(make_app):
    run = _worker_during_a_request(make_app, 60)
    run.thread.join(0.5)
    assert run.thread.is_alive() and [d["status"] for d in deliveries_of(run.app)] == ["pending"]
    run.traffic.ended()
    run.thread.join(10)
    assert run.attempted == [1] and [d["status"] for d in deliveries_of(run.app)] == ["delivered"]


def test_under_requests_that_never_pause_a_delivery_goes_once_it_is_max_lag_late(make_app):
    run = _worker_during_a_request(make_app, 0.3)
    run.thread.join(10)
    assert run.attempted == [1] and [d["status"] for d in deliveries_of(run.app)] == ["delivered"]


def test_a_stopping_worker_does_not_wait_for_a_pause(make_app):
    run = _worker_during_a_request(make_app, 60)
    run.stop.set()
    run.thread.join(10)
    assert not run.thread.is_alive() and run.attempted == [1]  # the delivery it held is sent as it leaves


def test_max_lag_zero_never_waits(make_app):
    run = _worker_during_a_request(make_app, 0)
    run.thread.join(10)
    assert run.attempted == [1]


def test_every_request_is_counted_while_it_is_served_even_one_refused_early(make_app):
    app = make_app()
    traffic = requests_served.register(app)
    seen = []

    @app.get("/_in_flight")
    def in_flight():
        seen.append(traffic.in_flight)
        return {}

    client = app.test_client()
    assert client.get("/_in_flight").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    assert seen == [1] and traffic.in_flight == 0 and traffic.last_ended > 0
