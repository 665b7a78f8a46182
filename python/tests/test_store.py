"""Every method of larder.FeatureStore and OnlineReader, against a real store."""

import ctypes
import datetime as dt
import subprocess
import sys
import textwrap

import pandas as pd
import pyarrow as pa
import pytest

import larder
from larder import _native
from conftest import T0, UTC

EVERY_TYPE = pa.schema([
    ("driver_id", pa.int64()), ("event_timestamp", pa.timestamp("us", "UTC")),
    ("rate", pa.float64()), ("trips", pa.int64()), ("ok", pa.bool_()), ("label_text", pa.string()),
    ("blob", pa.binary()), ("seen", pa.timestamp("us", "UTC")), ("emb", pa.list_(pa.float32(), 3)),
])


def every_type_rows(n, start=0):
    """n rows of every type, with nulls in every feature column and non-ASCII strings."""
    ids = list(range(start, start + n))
    return pa.table({
        "driver_id": ids,
        "event_timestamp": [T0] * n,
        "rate": [None if i % 5 == 0 else (i % 100) / 100 for i in ids],
        "trips": [None if i % 6 == 0 else i * 3 for i in ids],
        "ok": [None if i % 7 == 0 else i % 2 == 0 for i in ids],
        "label_text": [None if i % 8 == 0 else ("" if i % 9 == 0 else f"Zürich→東京 {i}") for i in ids],
        "blob": [None if i % 4 == 0 else bytes([i % 256, 0, 255]) for i in ids],
        "seen": [None if i % 3 == 0 else T0 + dt.timedelta(microseconds=i) for i in ids],
        "emb": [None if i % 11 == 0 else [i, -0.5, 1e-3] for i in ids],
    }, schema=EVERY_TYPE)


def spine_for(ids, when=T0 + dt.timedelta(days=1)):
    return pa.table({"driver_id": pa.array(ids, pa.int64()),
                     "event_timestamp": pa.array([when] * len(ids), pa.timestamp("us", "UTC"))})


FEATURES = ["rate", "trips", "ok", "label_text", "blob", "seen", "emb"]


# Definitions and listings

def test_apply_views_describe_catalog(store, tmp_path):
    assert {view["name"] for view in store.views()} == {"stats", "fresh", "cities"}
    assert {item["kind"] for item in store.catalog()} == {"entity", "feature_view", "feature_set"}
    described = store.describe("stats")
    assert described["version"] == 1
    assert [f["name"] for f in described["features"]] == FEATURES
    plan = store.apply(tmp_path / "defs.yaml")
    assert "unchanged" in plan
    with pytest.raises(larder.NotFoundError, match="nope"):
        store.describe("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("feature_views: [{name: x}]\n")
    with pytest.raises(larder.LarderError):
        store.apply(bad)


# Writes

def test_write_returns_the_run_and_runs_lists_it(store):
    result = store.write("stats", every_type_rows(10))
    assert result["rows_written"] == 10 and result["run_id"] == 1
    runs = store.runs("stats")
    assert [(run["id"], run["rows"], run["source"]) for run in runs] == [(1, 10, "write")]


def test_write_from_pandas_and_reader(store):
    df = every_type_rows(5).to_pandas()
    assert store.write("stats", df)["rows_written"] == 5
    assert store.write("stats", every_type_rows(5, start=5).to_reader())["rows_written"] == 5
    assert sum(run["rows"] for run in store.runs("stats")) == 10


def test_validation_error_has_the_cli_problem_lines_and_writes_nothing(store):
    bad = every_type_rows(3).set_column(2, "rate", pa.array([0.5, 7.0, 9.0]))
    with pytest.raises(larder.ValidationError) as caught:
        store.write("stats", bad)
    error = caught.value
    assert error.total_problems == 2
    assert [p["text"] for p in error.problems] == [
        'write:2: column rate: value "7.0": above max 1', 'write:3: column rate: value "9.0": above max 1']
    assert 'write:2: column rate: value "7.0": above max 1' in str(error)
    assert store.runs("stats") == []


def test_pandas_integers_with_nulls_are_written_as_int64(store):
    df = pd.DataFrame({"driver_id": [1, 2, 3], "event_timestamp": pd.to_datetime([T0] * 3, utc=True),
                       "trips": [1, None, 3]})
    assert df["trips"].dtype == "float64"
    store.write("stats", df, allow_missing_features=True)
    assert store.get_historical_features(spine_for([1, 2, 3]), features="stats:trips").column("trips").to_pylist() == [1, None, 3]
    with pytest.raises(larder.InvalidInputError, match="1.5 is not an int64"):
        store.write("stats", df.assign(trips=[1.5, None, 2.0]), allow_missing_features=True)


def test_write_refuses_mistyped_and_unknown_columns(store):
    with pytest.raises(larder.InvalidInputError, match='column "trips"'):
        store.write("stats", every_type_rows(2).set_column(3, "trips", pa.array(["a", "b"])))
    extra = every_type_rows(2).append_column("surprise", pa.array([1, 2]))
    with pytest.raises(larder.LarderError, match="surprise"):
        store.write("stats", extra)
    assert store.write("stats", extra, ignore_unknown_columns=True)["rows_written"] == 2
    naive = every_type_rows(2).set_column(1, "event_timestamp", pa.array([T0.replace(tzinfo=None)] * 2))
    with pytest.raises(larder.InvalidInputError, match="time zone"):
        store.write("stats", naive)
    assert store.write("stats", naive, assume_utc=True)["rows_written"] == 2


def test_backfill_from_csv(store, tmp_path):
    csv = tmp_path / "fresh.csv"
    csv.write_text("driver_id,event_timestamp,speed\n1,2026-01-01T00:00:00Z,3.5\n2,2026-01-01T00:00:00Z,\n")
    assert store.backfill("fresh", csv)["rows_written"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("driver_id,event_timestamp,speed\nx,2026-01-01T00:00:00Z,3.5\n")
    with pytest.raises(larder.ValidationError) as caught:
        store.backfill("fresh", bad)
    assert caught.value.problems[0]["text"].startswith(f"{bad}:2: column driver_id")
    with pytest.raises(larder.LarderIOError):
        store.backfill("fresh", tmp_path / "missing.csv")


# Historical retrieval

def test_round_trip_of_every_type_with_nulls(store):
    written = every_type_rows(100)
    store.write("stats", written)
    table = store.get_historical_features(spine_for(list(range(100))), features=["stats:*"])
    assert table.schema.names == ["driver_id", "event_timestamp"] + FEATURES
    expected_types = {"rate": pa.float64(), "trips": pa.int64(), "ok": pa.bool_(), "label_text": pa.large_string(),
                      "blob": pa.large_binary(), "seen": pa.timestamp("us", "UTC"), "emb": pa.list_(pa.float32(), 3)}
    for name, type_ in expected_types.items():
        assert table.schema.field(name).type == type_, name
        assert table.column(name).to_pylist() == written.column(name).to_pylist(), name
        assert table.column(name).null_count > 0, name


def test_zero_row_spine(store):
    store.write("stats", every_type_rows(3))
    table = store.get_historical_features(spine_for([]), features=["stats:*"])
    assert table.num_rows == 0
    assert table.schema.names == ["driver_id", "event_timestamp"] + FEATURES


def test_more_rows_than_one_batch(store):
    store.write("stats", every_type_rows(70_000))
    ids = list(range(70_000)) + [10**9]
    table = store.get_historical_features(spine_for(ids), features=["stats:trips", "stats:label_text"])
    assert table.num_rows == 70_001
    expected = every_type_rows(70_000)
    assert table.column("trips").to_pylist() == expected.column("trips").to_pylist() + [None]
    assert table.column("label_text").to_pylist() == expected.column("label_text").to_pylist() + [None]


def test_spine_columns_keep_their_types(store):
    store.write("stats", every_type_rows(4))
    spine = pd.DataFrame({
        "driver_id": [0, 1, 2, 3],
        "event_timestamp": pd.to_datetime(["2026-01-02T00:00:00Z"] * 4, utc=True),
        "label": [1, 0, 1, 0], "weight": [0.5, 1.5, 2.5, 3.5], "clicked": [True, False, True, False],
        "note": ["a", "b", "ç", None], "small": pd.array([1, 2, 3, 4], dtype="int32"),
    })
    table = store.get_historical_features(spine, feature_set="ranking")
    assert table.schema.names == list(spine.columns) + ["rate", "trips"]
    assert table.schema.field("label").type == pa.int64()
    assert table.schema.field("weight").type == pa.float64()
    assert table.schema.field("clicked").type == pa.bool_()
    assert table.schema.field("small").type == pa.int32()
    assert table.schema.field("event_timestamp").type == pa.Table.from_pandas(spine).schema.field("event_timestamp").type
    df = table.to_pandas()
    assert df["label"].dtype == "int64" and df["clicked"].dtype == "bool"
    assert df["label"].tolist() == [1, 0, 1, 0]


def test_spine_times_in_every_unit_and_naive_times(store):
    store.write("stats", every_type_rows(2))
    for unit in ("s", "ms", "us", "ns"):
        spine = pa.table({"driver_id": [1], "event_timestamp": pa.array([T0], pa.timestamp(unit, "UTC"))})
        assert store.get_historical_features(spine, features="stats:trips").column("trips").to_pylist() == [3], unit
    before = pa.table({"driver_id": [1], "event_timestamp": pa.array([T0 - dt.timedelta(microseconds=1)],
                                                                     pa.timestamp("ns", "UTC"))})
    assert store.get_historical_features(before, features="stats:trips").column("trips").to_pylist() == [None]
    naive = pa.table({"driver_id": [1], "event_timestamp": pa.array([T0.replace(tzinfo=None)], pa.timestamp("us"))})
    with pytest.raises(larder.InvalidInputError, match="time zone"):
        store.get_historical_features(naive, features="stats:trips")
    assert store.get_historical_features(naive, features="stats:trips", assume_utc=True).column("trips").to_pylist() == [3]


def test_spine_mistakes_are_errors_not_crashes(store):
    with pytest.raises(larder.InvalidInputError, match="event_timestamp"):
        store.get_historical_features(pa.table({"driver_id": [1]}), features="stats:trips")
    with pytest.raises(larder.InvalidInputError, match='column "driver_id"'):
        store.get_historical_features(pa.table({"driver_id": ["x"], "event_timestamp": pa.array([T0])}),
                                      features="stats:trips")
    with pytest.raises(larder.InvalidInputError, match="spine column"):
        store.get_historical_features(spine_for([1]).append_column("trips", pa.array([1])), features="stats:trips")
    with pytest.raises(larder.NotFoundError):
        store.get_historical_features(spine_for([1]), features="stats:nope")
    with pytest.raises(larder.InvalidInputError):
        store.get_historical_features([1, 2], features="stats:trips")
    dictionary = spine_for([1]).append_column("driver_id2", pa.array(["a"]).dictionary_encode())
    assert store.get_historical_features(dictionary, features="stats:trips").num_rows == 1  # passthrough untouched


def test_raw_abi_refuses_null_and_released_streams(store):
    out = _native.ArrowArrayStream()
    status = _native.lib.larder_historical(store._h, None, b"stats:trips", None, None, 0, 0, ctypes.addressof(out))
    assert status == _native.lib.larder_historical.restype(1).value
    assert "NULL ArrowArrayStream" in _native.error().message
    released = _native.ArrowArrayStream()  # all zero: a released stream
    status = _native.lib.larder_historical(store._h, ctypes.addressof(released), b"stats:trips", None, None, 0, 0,
                                           ctypes.addressof(out))
    assert status == 1 and "released" in _native.error().message
    assert _native.lib.larder_open(None, 1, None) == 1


def test_time_travel_with_as_of(store):
    store.write("stats", every_type_rows(3))
    first = store.runs("stats")[0]["committed_at"]
    correction = every_type_rows(3).set_column(3, "trips", pa.array([100, 101, 102]))
    store.write("stats", correction.set_column(
        correction.schema.get_field_index("created_timestamp") if "created_timestamp" in correction.schema.names else 1,
        "event_timestamp", correction.column("event_timestamp")))
    spine = spine_for([1, 2])
    assert store.get_historical_features(spine, features="stats:trips").column("trips").to_pylist() == [101, 102]
    assert store.get_historical_features(spine, features="stats:trips", as_of=first).column("trips").to_pylist() == [3, 6]
    as_datetime = dt.datetime.fromisoformat(first.replace("Z", "+00:00"))
    assert store.get_historical_features(spine, features="stats:trips", as_of=as_datetime).column("trips").to_pylist() == [3, 6]
    with pytest.raises(larder.InvalidInputError, match="time zone"):
        store.get_historical_features(spine, features="stats:trips", as_of=as_datetime.replace(tzinfo=None))


def test_training_set_is_not_copied(store):
    n = 300_000
    ids = pa.array(range(n), pa.int64())
    store.write("fresh", pa.table({"driver_id": ids, "event_timestamp": pa.array([T0] * n, pa.timestamp("us", "UTC")),
                                  "speed": pa.array([float(i) for i in range(n)])}))
    spine = pa.table({"driver_id": ids, "event_timestamp": pa.array([T0] * n, pa.timestamp("us", "UTC"))})
    before = pa.total_allocated_bytes()
    table = store.get_historical_features(spine, features="fresh:speed")
    allocated = pa.total_allocated_bytes() - before
    speed = table.column("speed")
    assert speed.num_chunks == 1 and speed.to_pylist()[:3] == [0.0, 1.0, 2.0]
    size = speed.nbytes
    assert size >= 8 * n
    # The feature column's buffers are Larder's: pyarrow allocated (almost) nothing for them.
    assert allocated < size / 10, (allocated, size)
    data = speed.chunk(0).buffers()[1]
    assert not data.is_cpu or data.address != 0
    # Still readable after the store is closed: the arrays keep Larder's memory alive.
    store.close()
    assert speed.to_pylist()[-1] == float(n - 1)


# Entity-less retrieval and export

def test_get_features_at(store):
    store.write("stats", every_type_rows(3))
    table = store.get_features_at("2026-01-02T00:00:00Z", feature_set="ranking")
    assert table.schema.names == ["driver_id", "event_timestamp", "rate", "trips"]
    assert table.column("driver_id").to_pylist() == [0, 1, 2]
    assert table.column("trips").to_pylist() == [None, 3, 6]
    assert store.get_features_at(T0 - dt.timedelta(days=1), features=["stats:trips"]).column("trips").to_pylist() == [None] * 3


def test_export_as_record_batch_reader(store):
    store.write("stats", every_type_rows(70_000))
    committed = store.runs("stats")[0]["committed_at"]
    store.write("stats", every_type_rows(2, start=100_000))
    reader = store.export("stats")
    assert isinstance(reader, pa.RecordBatchReader)
    table = reader.read_all()
    assert table.num_rows == 70_002
    assert table.schema.names[:4] == ["driver_id", "event_timestamp", "created_timestamp", "run_id"]
    assert store.export("stats", as_of=committed).read_all().num_rows == 70_000
    assert store.export("stats", end=T0).read_all().num_rows == 0


# Online retrieval

def test_online_features_with_statuses(store):
    store.write("stats", every_type_rows(3))
    now = dt.datetime.now(UTC)
    store.write("fresh", pa.table({"driver_id": [1, 2], "event_timestamp": pa.array([now, now - dt.timedelta(hours=2)]),
                                  "speed": [1.5, 2.5]}))
    answer = store.get_online_features(features=["stats:trips", "fresh:speed"],
                                       entity_rows=[{"driver_id": 1}, {"driver_id": 0}, {"driver_id": 2}, {"driver_id": 9}])
    assert answer == {"driver_id": [1, 0, 2, 9], "trips": [3, None, 6, None], "speed": [1.5, None, None, None]}
    assert answer.statuses == {"trips": ["PRESENT", "NULL_VALUE", "PRESENT", "NOT_FOUND"],
                               "speed": ["PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE", "NOT_FOUND"]}
    assert store.get_online_features(feature_set="ranking", entity_rows=[{"driver_id": 1}])["rate"] == [0.01]
    with pytest.raises(larder.InvalidInputError):
        store.get_online_features(feature_set="ranking", entity_rows=[])
    with pytest.raises(larder.InvalidInputError):
        store.get_online_features(feature_set="ranking", entity_rows=[{"driver_id": "x"}])


def test_online_reader(store):
    store.write("stats", every_type_rows(12))
    reader = store.online_reader(features=["stats:*"])
    assert reader.join_keys == ["driver_id"] and reader.feature_names == FEATURES
    expected = every_type_rows(12).to_pylist()
    for key in range(12):
        row = expected[key]
        values = reader.get(key)
        for name in FEATURES:
            assert values[name] == pytest.approx(row[name]) if name == "emb" and row[name] else values[name] == row[name], (key, name)
    values, statuses = reader.get_with_statuses(0)
    assert statuses["rate"] == "NULL_VALUE" and statuses["trips"] == "NULL_VALUE"
    assert reader.get_with_statuses(99)[1] == {name: "NOT_FOUND" for name in FEATURES}
    with pytest.raises(larder.InvalidInputError):
        reader.get("1")
    ranking = store.online_reader("ranking")
    assert ranking.get(2) == {"rate": 0.02, "trips": 6}
    long_text = "ü" * 10_000  # more than the reader's first buffer
    store.write("cities", pa.table({"city_code": ["zrh"], "event_timestamp": pa.array([T0]),
                                   "population": [400_000], "name": [long_text]}))
    cities = store.online_reader(features="cities:*")
    assert cities.get("zrh") == {"population": 400_000, "name": long_text}
    assert cities.get("nowhere") == {"population": None, "name": None}
    reader.close()
    with pytest.raises(larder.InvalidInputError):
        reader.get(1)


def test_a_second_process_maps_the_same_snapshot_files(store, tmp_path):
    store.write("stats", every_type_rows(1000))
    assert store.online_reader("ranking").get(1)["trips"] == 3  # loads the view and writes its snapshot file
    code = textwrap.dedent(f"""
        import sys, json
        sys.path.insert(0, {str(larder.__file__.rsplit('/larder/', 1)[0])!r})
        import larder
        store = larder.FeatureStore({store.path!r}, create=False)
        assert store.online_reader("ranking").get(1)["trips"] == 3
        print(json.dumps(store.cache()))
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    entries = {entry["view"]: entry for entry in __import__("json").loads(out)}
    assert entries["stats"]["mapped"] is True and entries["stats"]["rows"] == 1000


def test_closed_store_raises(store):
    store.close()
    with pytest.raises(larder.InvalidInputError, match="closed"):
        store.views()
