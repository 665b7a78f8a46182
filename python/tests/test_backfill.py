"""FeatureStore.backfill_intervals: a Python function per interval, with the ledger's semantics
(skip by fingerprint, force, lookback, failures, rows outside their interval, empty intervals)."""

import datetime as dt

import pyarrow as pa
import pytest

import larder
from conftest import T0, UTC

DAY = dt.timedelta(days=1)


def daily(start, end, trips=3):
    """One row per driver 1 and 2 at the interval's start."""
    return pa.table({"driver_id": [1, 2], "event_timestamp": pa.array([start, start], pa.timestamp("us", "UTC")),
                     "speed": [float(trips), float(trips + 1)]})


class Calls:
    """A pipeline function that records the intervals it was called for."""

    def __init__(self, result=daily):
        self.seen = []
        self.result = result

    def __call__(self, start, end):
        self.seen.append((start, end))
        return self.result(start, end)


def backfill(store, fn, **kwargs):
    return store.backfill_intervals("fresh", fn, start=T0, end=T0 + 4 * DAY, every="1d", name="daily-v1", **kwargs)


def outcomes(report):
    return [i["outcome"] for i in report["intervals"]]


def test_each_interval_is_one_run_with_its_ledger_entry(store):
    fn = Calls()
    report = backfill(store, fn)
    assert outcomes(report) == ["committed"] * 4 and report["all_committed"]
    assert fn.seen == [(T0 + k * DAY, T0 + (k + 1) * DAY) for k in range(4)]
    assert all(start.tzinfo is not None for start, _ in fn.seen)
    runs = sorted(run["id"] for run in store.runs("fresh"))
    ledger = store.ledger("fresh")
    assert [entry["status"] for entry in ledger] == ["committed"] * 4
    assert sorted(entry["run_id"] for entry in ledger) == runs
    assert {entry["command"] for entry in ledger} == {"daily-v1"}
    assert ledger[0]["start"] == "2026-01-01T00:00:00Z" and ledger[0]["end"] == "2026-01-02T00:00:00Z"


def test_skip_by_fingerprint_then_force(store):
    backfill(store, Calls())
    again = Calls()
    assert outcomes(backfill(store, again)) == ["skipped"] * 4 and again.seen == []
    forced = Calls()
    assert outcomes(backfill(store, forced, force=True)) == ["unchanged"] * 4 and len(forced.seen) == 4
    changed = Calls(lambda start, end: daily(start, end, trips=7))
    report = backfill(store, changed, force=True)
    assert outcomes(report) == ["committed"] * 4 and len(store.runs("fresh")) == 8
    renamed = Calls()
    assert outcomes(store.backfill_intervals("fresh", renamed, start=T0, end=T0 + 4 * DAY, every=DAY,
                                             name="daily-v2")) == ["committed"] * 4


def test_lookback_recomputes_the_latest_intervals_as_new_runs(store):
    backfill(store, Calls())
    late = Calls(lambda start, end: daily(start, end, trips=9))
    report = backfill(store, late, lookback="2d")
    assert outcomes(report) == ["skipped", "skipped", "committed", "committed"]
    assert [start for start, _ in late.seen] == [T0 + 2 * DAY, T0 + 3 * DAY]
    assert len(store.runs("fresh")) == 6  # the old runs stay for time travel


def test_a_failing_interval_fails_alone_with_its_message(store):
    def flaky(start, end):
        if start == T0 + DAY:
            raise ValueError("the source table for day 2 is missing")
        return daily(start, end)

    with pytest.raises(larder.BackfillFailedError) as caught:
        backfill(store, flaky)
    report = caught.value.report
    assert outcomes(report) == ["committed", "failed", "committed", "committed"]
    assert "ValueError: the source table for day 2 is missing" in report["intervals"][1]["message"]
    assert [i["start"] for i in caught.value.failed] == ["2026-01-02T00:00:00Z"]
    ledger = {entry["start"]: entry for entry in store.ledger("fresh")}
    assert ledger["2026-01-02T00:00:00Z"]["status"] == "failed"
    assert "day 2 is missing" in ledger["2026-01-02T00:00:00Z"]["message"]
    assert len(store.runs("fresh")) == 3
    # Resume: only the failed interval is computed again.
    fixed = Calls()
    assert outcomes(backfill(store, fixed)) == ["skipped", "committed", "skipped", "skipped"]
    assert [start for start, _ in fixed.seen] == [T0 + DAY]


def test_fail_fast_runs_nothing_after_a_failure(store):
    def broken(start, end):
        raise RuntimeError("no")

    with pytest.raises(larder.BackfillFailedError) as caught:
        backfill(store, broken, fail_fast=True)
    assert outcomes(caught.value.report) == ["failed", "not_run", "not_run", "not_run"]


def test_rows_outside_their_interval_are_rejected(store):
    def leaky(start, end):
        return daily(end, end + DAY) if start == T0 + 2 * DAY else daily(start, end)

    with pytest.raises(larder.BackfillFailedError) as caught:
        backfill(store, leaky)
    report = caught.value.report
    assert outcomes(report) == ["committed", "committed", "failed", "committed"]
    assert "outside" in report["intervals"][2]["message"]
    assert len(store.runs("fresh")) == 3


def test_empty_intervals_are_committed_as_empty_runs(store):
    def sparse(start, end):
        if start == T0:
            return None
        if start == T0 + DAY:
            return daily(start, end).slice(0, 0)
        return daily(start, end)

    report = backfill(store, sparse)
    assert outcomes(report) == ["committed"] * 4
    assert [i["rows"] for i in report["intervals"]] == [0, 0, 2, 2]
    assert [entry["status"] for entry in store.ledger("fresh")] == ["committed"] * 4
    again = Calls()
    assert outcomes(backfill(store, again)) == ["skipped"] * 4 and again.seen == []


def test_results_of_every_kind_and_jobs(store):
    def as_pandas(start, end):
        return daily(start, end).to_pandas()

    report = store.backfill_intervals("fresh", as_pandas, start=T0, end=T0 + 4 * DAY, every="1d", jobs=2)
    assert outcomes(report) == ["committed"] * 4
    assert store.ledger("fresh")[0]["command"].endswith("as_pandas")
    with pytest.raises(larder.InvalidInputError, match="duration"):
        backfill(store, Calls(), lookback="two days")
    with pytest.raises(larder.InvalidInputError, match="function"):
        store.backfill_intervals("fresh", "not a function", start=T0, end=T0 + DAY, every="1d")
    with pytest.raises(larder.NotFoundError):
        store.backfill_intervals("nope", Calls(), start=T0, end=T0 + DAY, every="1d")
