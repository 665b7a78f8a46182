#!/usr/bin/env python3
"""Push visibility of `larder serve`: how long after a push's 200 an online
read on the same server returns the pushed value.

    Benchmarks/server/visibility.py URL [PUSHES]

Each push writes one row of driver_stats (bench definitions) for a random
driver with event_timestamp = now and a conv_rate never used before, over a
keep-alive connection; right after its 200, a second connection reads that
driver's conv_rate online, again and again until the value is the pushed one
(at most 1 s). Prints one RESULT line: pushes, reads needed (1 means the first
read after the 200 saw the value), and p50/p99/max of the time from the 200
to the answer that held the value. Standard library only.
"""
import datetime
import http.client
import json
import random
import sys
import time
import urllib.parse


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    pushes = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    push = http.client.HTTPConnection(url.hostname, url.port)
    read = http.client.HTTPConnection(url.hostname, url.port)
    waits, reads = [], []
    for i in range(pushes):
        driver = random.randint(1, 100_000)
        rate = 0.25 + i / 1e7 + random.random() / 1e9
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        row = {"driver_id": driver, "event_timestamp": now, "conv_rate": rate, "avg_daily_trips": 1, "acc_rate": 0.5,
               "trips_today": 1, "rating": 4.5, "earnings_cents": 100, "distance_km": 1.5, "cancellations": 0,
               "vehicle_type": "suv"}
        push.request("POST", "/v1/push/driver_stats", json.dumps(row) + "\n", {"Content-Type": "application/x-ndjson"})
        answer = push.getresponse()
        answer.read()
        if answer.status != 200:
            sys.exit(f"push {i} answered {answer.status}")
        pushed = time.perf_counter()
        body = json.dumps({"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [driver]}})
        attempts = 0
        while True:
            attempts += 1
            read.request("POST", "/v1/online-features", body, {"Content-Type": "application/json"})
            reply = json.loads(read.getresponse().read())
            seen = time.perf_counter()
            if reply["results"][1]["values"][0] == rate:
                break
            if seen - pushed > 1:
                sys.exit(f"push {i}: driver {driver} not visible 1 s after the 200")
        waits.append((seen - pushed) * 1e3)
        reads.append(attempts)
    waits.sort()
    print(f"RESULT pushes={pushes} first_read_saw_it={sum(1 for a in reads if a == 1)} max_reads={max(reads)} "
          f"p50_ms={waits[len(waits) // 2]:.3f} p99_ms={waits[min(len(waits) - 1, len(waits) * 99 // 100)]:.3f} "
          f"max_ms={waits[-1]:.3f}")


if __name__ == "__main__":
    main()
