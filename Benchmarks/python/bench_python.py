#!/usr/bin/env python3
"""Larder from Python, in process (the `larder` package over libLarderC), on the bench store.

  LARDER_LIBRARY=.build/release/libLarderC.so python Benchmarks/python/bench_python.py \
      --store /tmp/s1/larder.db --data /tmp/bench/large

The store is copied (with its snapshot folder) to a temporary folder first; nothing is
written to the original. Phases, each after untimed warm-up calls:
  online 1      reader.get(driver_id) of a prepared reader of the feature set (9 features),
                one call per request of online_requests.csv with batch_size 1;
  online 1 sdk  get_online_features(feature_set, entity_rows=[{"driver_id": id}]), the same keys;
  online 100    get_online_features(feature_set, entity_rows=[100 dicts]) per batch of 100;
  historical    get_historical_features(spine DataFrame of spine.parquet (else spine.csv), the view's original version
                (ttl 7d)).to_pandas(),
                pandas to pandas, warm (--hist-repeats runs after one untimed run).
Percentiles are nearest-rank; times from time.perf_counter_ns. Prints one line
'PYTHON_BENCH_RESULT {json}'.
"""

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))

import pandas as pd  # noqa: E402

import larder  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def summary(samples_ns):
    us = [s / 1000 for s in samples_ns]
    return {"calls": len(us), "p50_us": round(percentile(us, 50), 2), "p99_us": round(percentile(us, 99), 2),
            "mean_us": round(statistics.fmean(us), 2), "max_us": round(max(us), 2)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="/tmp/s1/larder.db")
    parser.add_argument("--data", default="/tmp/bench/large")
    parser.add_argument("--feature-set", default="driver_stats_svc")
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--hist-repeats", type=int, default=5)
    parser.add_argument("--definitions", default="/work/shared/bench/larder/driver_stats.yaml",
                        help="applied again with ttl: 0 (and --carry-data) for the online phases, as the Swift "
                             "benchmark does: Feast ignores the TTL online and the data is from 2024")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="larder-python-bench-")
    try:
        store_path = os.path.join(folder, "larder.db")
        shutil.copy2(args.store, store_path)
        if os.path.isdir(args.store + ".cache"):
            shutil.copytree(args.store + ".cache", store_path + ".cache")
        requests = {1: [], 100: {}}
        with open(os.path.join(args.data, "online_requests.csv")) as f:
            for row in csv.DictReader(f):
                size, call, key = int(row["batch_size"]), int(row["call"]), int(row["driver_id"])
                if size == 1:
                    requests[1].append(key)
                elif size == 100:
                    requests[100].setdefault(call, []).append(key)
        result = {}
        store = larder.FeatureStore(store_path, create=False)
        historical_features = [f"driver_stats@{store.describe('driver_stats')['version']}:*"]
        ttl0 = os.path.join(folder, "ttl0.yaml")
        Path(ttl0).write_text(Path(args.definitions).read_text().replace("ttl: 7d", "ttl: 0"))
        started = time.perf_counter()
        store.apply(ttl0, carry_data=True)
        result["apply_ttl0_carry_data_s"] = round(time.perf_counter() - started, 3)
        store.close()
        started = time.perf_counter()
        store = larder.FeatureStore(store_path, create=False)
        reader = store.online_reader(args.feature_set)
        result["open_and_prepare_s"] = round(time.perf_counter() - started, 3)
        result["features"] = len(reader.feature_names)

        keys = requests[1]
        for key in keys[:args.warmup]:
            reader.get(key)
        samples, present = [], 0
        clock = time.perf_counter_ns
        for i in range(args.calls):
            key = keys[i % len(keys)]
            t0 = clock()
            row = reader.get(key)
            samples.append(clock() - t0)
            present += sum(value is not None for value in row.values())
        result["online_1"] = summary(samples) | {"present": present}

        samples = []
        for key in keys[:args.warmup]:
            store.get_online_features(feature_set=args.feature_set, entity_rows=[{"driver_id": key}])
        for i in range(args.calls):
            rows = [{"driver_id": keys[i % len(keys)]}]
            t0 = clock()
            store.get_online_features(feature_set=args.feature_set, entity_rows=rows)
            samples.append(clock() - t0)
        result["online_1_sdk"] = summary(samples)

        batches = [[{"driver_id": k} for k in batch] for batch in requests[100].values()]
        calls = min(args.calls, 10 * len(batches))
        for batch in batches[:50]:
            store.get_online_features(feature_set=args.feature_set, entity_rows=batch)
        samples = []
        for i in range(calls):
            batch = batches[i % len(batches)]
            t0 = clock()
            store.get_online_features(feature_set=args.feature_set, entity_rows=batch)
            samples.append(clock() - t0)
        result["online_100"] = summary(samples)

        if os.path.exists(os.path.join(args.data, "spine.parquet")):  # what Feast's benchmark reads
            spine = pd.read_parquet(os.path.join(args.data, "spine.parquet"))
        else:
            spine = pd.read_csv(os.path.join(args.data, "spine.csv"))
        spine["event_timestamp"] = pd.to_datetime(spine["event_timestamp"], utc=True)
        store.get_historical_features(spine, features=historical_features).to_pandas()
        times = []
        for _ in range(args.hist_repeats):
            t0 = time.perf_counter()
            df = store.get_historical_features(spine, features=historical_features).to_pandas()
            times.append(time.perf_counter() - t0)
        result["historical"] = {"rows": len(df), "columns": len(df.columns), "median_ms": round(statistics.median(times) * 1000, 1),
                                "min_ms": round(min(times) * 1000, 1), "repeats": len(times)}
        result["cache"] = store.cache()
        print("PYTHON_BENCH_RESULT " + json.dumps(result))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
