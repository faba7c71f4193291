"""Load from a separate process: wrk with the Lua scripts in bench/lua, one JSON line back per run."""
import json
import os
import shutil
import statistics
import subprocess
from dataclasses import dataclass

LUA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua")
WRK_TIMEOUT = "10s"  # a slow answer counts in the latency, not as an error


@dataclass
class RunResult:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict
    errors: dict
    requests: int = 0
    cpu_ms: float = 0.0  # server CPU time per request (master + workers), set by the caller


@dataclass
class Measurement:
    """Several runs of one scenario; figures are medians over the runs."""

    runs: list

    @property
    def rps(self):
        return statistics.median(run.rps for run in self.runs)

    @property
    def p50_ms(self):
        return statistics.median(run.p50_ms for run in self.runs)

    @property
    def p99_ms(self):
        return statistics.median(run.p99_ms for run in self.runs)

    @property
    def cpu_ms(self):
        return statistics.median(run.cpu_ms for run in self.runs)

    @property
    def statuses(self):
        totals = {}
        for run in self.runs:
            for status, count in run.statuses.items():
                totals[status] = totals.get(status, 0) + count
        return totals


def wrk_path():
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    return path


def run_wrk(base_url, script, env, connections, threads, duration):
    """One wrk run of bench/lua/<script> against base_url; env configures the script (BENCH_*)."""
    command = [
        wrk_path(), "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{duration}s",
        "--timeout", WRK_TIMEOUT, "-s", os.path.join(LUA_DIR, script), base_url,
    ]
    environment = {**os.environ, **env, "BENCH_LUA_DIR": LUA_DIR}
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=duration + 120)
    lines = [line for line in finished.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
    report = json.loads(lines[-1].split(" ", 1)[1])
    return RunResult(
        rps=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        statuses=report["statuses"],
        errors=report["errors"],
        requests=report["requests"],
    )
