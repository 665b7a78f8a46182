#!/usr/bin/env python3
"""Larder's Python package and Feast's SDK on the same 1M-row data, in one run.

  swift build -c release --product LarderC
  python3 Benchmarks/python/side_by_side.py            # defaults below

Runs, one after the other, each in its own process:
  1. Benchmarks/python/bench_python.py (Larder, LARDER_LIBRARY = the release libLarderC) on a copy
     of --store, with the requests of --data;
  2. ../shared/bench/bench_feast.py --store duckdb on --data (Feast 0.67, SQLite online store,
     DuckDB offline store; the interpreter of --feast-python, which ../shared/bench/setup.sh makes),
     phases historical, materialize (needed for online) and online only.
Then prints the machine, its load (`uptime`) before, between and after, and a Markdown table of
online 1 and 100 entities (p50 / p99) and historical 100k-row spine pandas → pandas (warm).
The raw result lines are written to --out (JSON).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def result_line(output, prefix):
    for line in output.splitlines():
        if line.startswith(prefix):
            return json.loads(line[len(prefix):])
    raise SystemExit(f"no {prefix.strip()} line in:\n{output[-4000:]}")


def run(command, env=None):
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{command[1]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default="/tmp/s1/larder.db", help="the 1M-row Larder store (copied, not written)")
    parser.add_argument("--data", default="/tmp/bench/large", help="gen_data.py's output for the same rows")
    parser.add_argument("--library", default=str(ROOT / ".build/release/libLarderC.so"))
    parser.add_argument("--larder-python", default=os.environ.get("LARDER_PYTHON", str(ROOT / ".build/pyarrow-venv/bin/python")))
    parser.add_argument("--feast-python", default=os.path.expanduser(
        os.environ.get("BENCH_VENV", "~/.cache/larder-feast-venv") + "/bin/python"))
    parser.add_argument("--feast-bench", default=str(ROOT.parent / "shared/bench/bench_feast.py"))
    parser.add_argument("--calls", type=int, default=10_000, help="Larder's timed online calls per batch size")
    parser.add_argument("--feast-calls", type=int, default=1_000, help="Feast's timed online calls per batch size")
    parser.add_argument("--hist-repeats", type=int, default=5)
    parser.add_argument("--out", default=None, help="where to write both result lines as JSON")
    args = parser.parse_args()

    loads = {"before": uptime()}
    env = dict(os.environ, LARDER_LIBRARY=args.library)
    larder = result_line(run([args.larder_python, str(ROOT / "Benchmarks/python/bench_python.py"), "--store", args.store,
                              "--data", args.data, "--calls", str(args.calls), "--hist-repeats", str(args.hist_repeats)],
                             env=env), "PYTHON_BENCH_RESULT ")
    loads["between"] = uptime()
    feast = None
    if Path(args.feast_python).exists():
        with tempfile.TemporaryDirectory(prefix="feast-side-by-side-") as work:
            feast = result_line(run([args.feast_python, args.feast_bench, "--data-dir", args.data, "--store", "duckdb",
                                     "--work-dir", os.path.join(work, "repo"), "--results-dir", os.path.join(work, "results"),
                                     "--hist-repeats", str(min(args.hist_repeats, 3)), "--mat-repeats", "1",
                                     "--online-calls", str(args.feast_calls),
                                     "--skip", "online_check,created_filter,stale_check"],
                                    env=dict(os.environ, FEAST_USAGE="False", PYTHONHASHSEED="0")),
                                "FEAST_BENCH_RESULT ")
    else:
        print(f"no Feast interpreter at {args.feast_python}: run ../shared/bench/setup.sh; Feast skipped", file=sys.stderr)
    loads["after"] = uptime()

    def feast_online(batch):
        if not feast:
            return "not run"
        s = feast["online"][f"batch_{batch}"]
        return f"{s['p50_ms'] * 1000:,.0f} µs / {s['p99_ms'] * 1000:,.0f} µs"

    def larder_online(key):
        s = larder[key]
        return f"**{s['p50_us']:,} µs / {s['p99_us']:,} µs**"

    feast_hist = "not run" if not feast else (f"{feast['historical']['best_s'] * 1000:,.0f} ms best of "
                                              f"{len(feast['historical']['wall_s'])} (first {feast['historical']['first_s'] * 1000:,.0f} ms)")
    hist = larder["historical"]
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for when, load in loads.items():
        print(f"uptime {when}: {load}")
    print()
    print("| Python, 1M-row data | Larder (`larder` package) | Feast 0.67 SDK (DuckDB offline, SQLite online) |")
    print("|---|---|---|")
    print(f"| online, 1 entity × 9 features, p50 / p99 | {larder_online('online_1')} (`reader.get`) | {feast_online(1)} |")
    print(f"| online, 1 entity × 9 features, `get_online_features`, p50 / p99 | {larder_online('online_1_sdk')} | {feast_online(1)} |")
    print(f"| online, 100 entities × 9 features, `get_online_features`, p50 / p99 | {larder_online('online_100')} | {feast_online(100)} |")
    print(f"| historical, 100k-row spine, pandas → pandas, warm | **{hist['median_ms']} ms median, {hist['min_ms']} ms best of "
          f"{hist['repeats']}** | {feast_hist} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"larder": larder, "feast": feast, "uptime": loads}, indent=2) + "\n")


if __name__ == "__main__":
    main()
