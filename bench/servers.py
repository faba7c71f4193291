"""Start gunicorn the way production does (gunicorn.conf.py), find its workers, read their peak RSS."""
import os
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _worker_pids(master_pid):
    """The gunicorn workers: the master's child processes."""
    pids = []
    for task in os.listdir(f"/proc/{master_pid}/task"):
        with open(f"/proc/{master_pid}/task/{task}/children") as children:
            pids.extend(int(pid) for pid in children.read().split())
    return pids


def _status_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Server:
    """A running gunicorn: its base URL and its workers' peak resident memory."""

    def __init__(self, process, base_url):
        self.process, self.base_url = process, base_url

    def peak_worker_rss_mib(self):
        """The largest VmHWM (peak resident set) among the workers, in MiB."""
        return max(_status_kib(pid, "VmHWM") for pid in _worker_pids(self.process.pid)) / 1024

    def cpu_seconds(self):
        """CPU time (user + system) used so far by the master and its live workers."""
        ticks = 0
        for pid in [self.process.pid, *_worker_pids(self.process.pid)]:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a worker that just exited
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    @contextmanager
    def flame_graph(self, svg_path, seconds):
        """Record a py-spy flame graph of the master and its workers for about seconds while the block runs:
        an SVG, or collapsed stacks (one line per stack and its sample count, for grep) when svg_path ends in
        .txt. py-spy needs ptrace permission on the workers (root, or kernel.yama.ptrace_scope 0)."""
        output_format = "raw" if svg_path.endswith(".txt") else "flamegraph"
        command = ["py-spy", "record", "--pid", str(self.process.pid), "--subprocesses", "--nonblocking",
                   "--duration", str(seconds), "--format", output_format, "--output", svg_path]
        bin_dir = os.path.dirname(sys.executable)
        spy = os.path.join(bin_dir, "py-spy") if os.path.exists(os.path.join(bin_dir, "py-spy")) else "py-spy"
        recorder = subprocess.Popen([spy, *command[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            yield
        finally:
            _out, error = recorder.communicate(timeout=seconds + 60)
            if recorder.returncode != 0 or not os.path.exists(svg_path):
                raise RuntimeError(f"py-spy could not record ({recorder.returncode}): {error.decode()[-500:]}")


@contextmanager
def gunicorn(app_spec, port, env, log_path):
    """Serve app_spec ("wsgi:app") on 127.0.0.1:port with gunicorn.conf.py; stdout/stderr go to log_path."""
    environment = {**os.environ, **env, "BIND": f"127.0.0.1:{port}"}
    command = [sys.executable, "-m", "gunicorn", "--config", os.path.join(ROOT, "gunicorn.conf.py"), app_spec]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        _wait_healthy(server, process, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(server, process, log_path):
    """Wait until /healthz answers and every configured worker has started."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_path}")
        try:
            if requests.get(server.base_url + "/healthz", timeout=2).status_code == 200:
                time.sleep(1)  # let the other workers finish booting before the load starts
                return
        except requests.RequestException:  # not listening yet, or still booting
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {log_path}")
