"""`python -m bench.ab BASE [OTHER] [-- bench options]`: is OTHER faster than BASE, beyond this machine's noise?

A lever worth a few per cent is inside the noise of one run here (the same code's req/s moves 5–30 % between
runs). This runs each commit's own `python -m bench` (from a git worktree, so its harness matches its schema;
OTHER defaults to this working tree, uncommitted changes included) in turn, ALTERNATIONS times, and prints per
scenario every run's × baseline and server CPU ms per request, and OTHER's change against the BASE run next to
it: the median of those paired changes, and their range. Bench options default to a short run
(--runs 1 --duration 5 --big 20000); give others after `--`, e.g. `-- --only "POST new" --skip-sqlite
--database-url …`."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from .servers import ROOT

DEFAULT_BENCH = ["--runs", "1", "--duration", "5", "--big", "20000"]


def parse_report(text):
    """{database title: {scenario: (× its baseline or None, server CPU ms per request)}} from a bench report.
    The ratio is taken from the req/s columns (the report rounds its own to two digits): each round's exactly
    when the run has one round, the medians' otherwise."""
    figures, title, rows = {}, None, {}
    for line in text.splitlines() + ["### end"]:
        if line.startswith("### "):
            if title is not None:
                bare = {kind: rps for name, (rps, _cpu, _target) in rows.items() for kind in ("GET", "POST")
                        if name.startswith(f"bare {kind}")}
                figures[title] = {name: (_ratio(name, rps, shown, bare), cpu) for name, (rps, cpu, shown) in rows.items()}
            title, rows = line[4:].strip(), {}
        elif line.startswith("| ") and not line.startswith(("| scenario", "| peak")):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0]] = (float(cells[2].replace(",", "")), float(cells[8]), cells[5])
    return figures


def _ratio(name, rps, shown, bare):
    """rps over its bare baseline's (POST scenarios over the bare POST), where the report shows a ratio."""
    if shown == "—" or name.startswith("bare "):
        return None
    return rps / bare["POST" if "POST" in name else "GET"]


def _run_bench(tree, bench_args, output):
    finished = subprocess.run([sys.executable, "-m", "bench", *bench_args, "--output", output], cwd=tree,
                              capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"python -m bench failed in {tree}:\n{(finished.stdout + finished.stderr)[-3000:]}")
    with open(output) as report:
        return parse_report(report.read())


def _change(other, base):
    return (other / base - 1) * 100


def _summary(label, values, unit_format):
    shown = " ".join(unit_format.format(value) for value in values)
    return f"{label}: {shown} (median {unit_format.format(statistics.median(values))})"


def compare(runs, names):
    """Print, per database and scenario, both commits' runs and OTHER's paired change against BASE."""
    base_runs, other_runs = runs
    for title, scenarios in base_runs[0].items():
        for scenario in scenarios:
            pairs = [(base[title][scenario], other[title][scenario]) for base, other in zip(base_runs, other_runs)]
            print(f"{title}, {scenario}:")
            for label, index in ((names[0], 0), (names[1], 1)):
                ratios = [pair[index][0] for pair in pairs if pair[index][0] is not None]
                parts = [_summary("× baseline", ratios, "{:.3f}")] if ratios else []
                parts.append(_summary("server CPU ms", [pair[index][1] for pair in pairs], "{:.2f}"))
                print(f"  {label}: " + "; ".join(parts))
            cpu_changes = [_change(other[1], base[1]) for base, other in pairs]
            line = f"  {names[1]} against {names[0]}: server CPU {statistics.median(cpu_changes):+.1f} % " \
                   f"({min(cpu_changes):+.1f} to {max(cpu_changes):+.1f})"
            if pairs[0][0][0] is not None:
                ratio_changes = [_change(other[0], base[0]) for base, other in pairs]
                line += f", × baseline {statistics.median(ratio_changes):+.1f} % " \
                        f"({min(ratio_changes):+.1f} to {max(ratio_changes):+.1f})"
            print(line)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    bench_args = DEFAULT_BENCH
    if "--" in argv:
        argv, bench_args = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the commit to compare against")
    parser.add_argument("other", nargs="?", help="the commit to compare (default: this working tree)")
    parser.add_argument("--alternations", type=int, default=3)
    options = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="contactapi-ab-")
    trees, names = [], []
    try:
        for commit in (options.base, options.other):
            if commit is None:
                trees.append(ROOT)
                names.append("working tree")
                continue
            tree = os.path.join(workdir, f"tree{len(trees)}")
            subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, commit], check=True,
                           capture_output=True)
            trees.append(tree)
            names.append(commit)
        runs = ([], [])
        for alternation in range(options.alternations):
            for index, tree in enumerate(trees):
                print(f"alternation {alternation + 1}/{options.alternations}: {names[index]}", flush=True)
                runs[index].append(_run_bench(tree, bench_args, os.path.join(workdir, f"report{index}.md")))
        compare(runs, names)
    finally:
        for tree in trees:
            if tree != ROOT:
                subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], capture_output=True)


if __name__ == "__main__":
    main()
