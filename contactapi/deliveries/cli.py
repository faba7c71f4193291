"""flask deliveries work: dedicated workers, on any host, as many as you like."""
import signal
import threading

import click
from flask import current_app

from ..command_groups import CommandGroup
from . import worker

deliveries_group = CommandGroup("deliveries", help="Send the outbox's mails and webhook calls.")


@deliveries_group.command("work")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Deliveries sent at once by this process.")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def work(threads, once):
    """Drain the outbox until stopped (SIGTERM or Ctrl-C let the deliveries being sent finish)."""
    if once:
        click.echo(f"Attempted {worker.drain()} deliveries.", err=True)
        return
    app = current_app._get_current_object()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    runners = [threading.Thread(target=worker.run, args=(app, stop), daemon=True) for _ in range(threads)]
    for runner in runners:
        runner.start()
    click.echo(f"Delivery worker running with {threads} thread(s).", err=True)
    while any(runner.is_alive() for runner in runners):
        stop.wait(0.5)


def register(app):
    app.cli.add_command(deliveries_group)
