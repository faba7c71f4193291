"""The results as Markdown: the command, date and machine, then one table per database."""
import os
import platform
import runpy
import sqlite3
from datetime import datetime, timezone

from .scenarios import CONNECTIONS
from .servers import ROOT


def _cpu_model():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib():
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0


def gunicorn_settings():
    """What gunicorn.conf.py resolves to on this machine (with this environment)."""
    conf = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    threads = conf.get("threads", 1)
    return f"{conf.get('worker_class', 'sync')} workers × {conf['workers']}" + (
        f", {threads} threads each" if threads > 1 else "")


def header(command, options, database_versions):
    lines = [
        f"- command: `{command}`",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} cores ({_cpu_model()}), {_memory_gib():.0f} GiB, "
        f"Linux {platform.release()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"- gunicorn: `gunicorn.conf.py` → {gunicorn_settings()}",
        f"- load: wrk, {CONNECTIONS} connections ({options.threads} threads) unless the row says "
        f"otherwise, {options.duration} s per run, {options.runs} round(s) (every scenario once per round, bare "
        f"and real servers both up), medians reported; × baseline is the median of per-round ratios",
        "- rate limits raised to 1000000/minute for the run (RATELIMIT_PUBLIC_IP, RATELIMIT_PUBLIC_KEY, "
        "RATELIMIT_SECRET_KEY), so the benchmark measures the service, not the limiter's refusals",
    ]
    lines += [f"- {name}: {version}" for name, version in database_versions.items()]
    lines.append("- load average (1, 5, 15 min) when the report was written: "
                 + ", ".join(f"{load:.2f}" for load in os.getloadavg())
                 + " (anything above ~0 is other work on this machine competing with the benchmark)")
    return "\n".join(lines)


def _mark(met):
    return {True: "met", False: "**not met**", None: "—"}[met]


def table(title, rows, rss_mib):
    """rows: (scenario, measurement, ratio or None, met or None, note)."""
    lines = [
        f"### {title}", "",
        "| scenario | conns | req/s | p50 ms | p99 ms | × baseline | target | | server CPU ms/req | checked |",
        "|---|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for scenario, measurement, ratio, met, note in rows:
        ratio_text = f"{ratio:.2f}" if ratio is not None else "—"
        lines.append(
            f"| {scenario.name} | {scenario.connections} | {measurement.rps:,.0f} | {measurement.p50_ms:.2f} | "
            f"{measurement.p99_ms:.2f} | {ratio_text} | {scenario.target.describe(scenario.baseline)} | "
            f"{_mark(met)} | {measurement.cpu_ms:.2f} | {note} |"
        )
    rss_mb = rss_mib * 1.048576
    lines.append(f"| peak worker RSS (VmHWM, largest worker) | | | | | | ≤ 80 MB | {_mark(rss_mb <= 80)} | | "
                 f"{rss_mb:.1f} MB ({rss_mib:.1f} MiB) |")
    return "\n".join(lines)
