"""The online fast paths (``reader.get`` through larder_reader_read, ``get_many`` and
``get_online_features`` through larder_reader_get_many_*) against the Arrow path
(larder_online, decoded by pyarrow): the same values, statuses and types for random keys, and
no input that crashes the interpreter."""

import datetime as dt
import random
import threading

import pyarrow as pa
import pytest

import larder
from conftest import T0
from test_store import FEATURES, every_type_rows


def arrow_path(store, keys, **request):
    """``get_online_features`` through larder_online: an extra column in the entity rows sends
    the request through the Arrow tables, not the batch reader."""
    answer = store.get_online_features(entity_rows=[{"driver_id": key, "unused": 0} for key in keys], **request)
    return answer, answer.statuses


@pytest.fixture
def filled(store):
    store.write("stats", every_type_rows(300))
    store.write("stats", every_type_rows(40, start=1000))  # a second run: rows in the cache's delta
    return store


def test_get_and_get_with_statuses_equal_the_arrow_path_for_random_keys(filled):
    reader = filled.online_reader(features=["stats:*"])
    keys = random.Random(12).sample(range(-50, 1100), 400) + [0, 299, 1000, 1039, -(2**63), 2**63 - 1]
    values, statuses = arrow_path(filled, keys, features=["stats:*"])
    assert set(statuses["rate"]) == {"PRESENT", "NULL_VALUE", "NOT_FOUND"}
    for i, key in enumerate(keys):
        expected = {name: values[name][i] for name in FEATURES}
        got = reader.get(key)
        assert got == expected, key
        assert list(got) == FEATURES
        assert [type(v) for v in got.values()] == [type(v) for v in expected.values()], key
        got_values, got_statuses = reader.get_with_statuses(key)
        assert got_values == expected and got_statuses == {name: statuses[name][i] for name in FEATURES}, key


def test_every_type_decodes_in_the_all_present_fast_path(filled):
    reader = filled.online_reader(features=["stats:*"])
    key = 1  # no feature of row 1 is null
    expected = every_type_rows(2).to_pylist()[key]
    got = reader.get(key)
    assert reader.get_with_statuses(key)[1] == {name: "PRESENT" for name in FEATURES}
    assert got["rate"] == 0.01 and got["trips"] == 3 and got["ok"] is False
    assert got["label_text"] == "Zürich→東京 1" and got["blob"] == bytes([1, 0, 255])
    assert got["seen"] == expected["seen"] and got["seen"].tzinfo is not None
    assert got["emb"] == pytest.approx([1.0, -0.5, 1e-3]) and isinstance(got["emb"], list)
    assert filled.online_reader(features=["stats:ok"]).get(2) == {"ok": True}
    assert filled.online_reader(features=["stats:label_text"]).get(9) == {"label_text": ""}


def test_get_many_and_get_online_features_equal_the_arrow_path(filled):
    keys = random.Random(7).choices(range(-10, 1050), k=500)
    values, statuses = arrow_path(filled, keys, features=["stats:*"])
    for answer in (filled.online_reader(features=["stats:*"]).get_many(keys),
                   filled.get_online_features(features=["stats:*"], entity_rows=[{"driver_id": k} for k in keys])):
        assert answer == {"driver_id": keys, **{name: values[name] for name in FEATURES}}
        assert answer.statuses == statuses
        assert answer.event_timestamps == values.event_timestamps
    times = values.event_timestamps
    assert set(times) == set(FEATURES)
    assert any(t is None for t in times["rate"]) and any(t is not None for t in times["rate"])
    for name in FEATURES:
        for status, time in zip(statuses[name], times[name]):
            assert (time is None) == (status in ("NOT_FOUND", "OUTSIDE_MAX_AGE"))
            assert time is None or time.tzinfo is not None


def test_string_keys(store):
    names = ["zrh", "", "Zürich→東京", "x" * 5000]
    store.write("cities", pa.table({"city_code": names, "event_timestamp": pa.array([T0] * 4),
                                   "population": [1, None, 3, 4], "name": ["a", "b", None, "ü" * 3000]}))
    reader = store.online_reader(features="cities:*")
    keys = names + ["nowhere", "ZRH"]
    values, statuses = store.get_online_features(features="cities:*", entity_rows=[{"city_code": k, "u": 0} for k in keys]), None
    for i, key in enumerate(keys):
        assert reader.get(key) == {"population": values["population"][i], "name": values["name"][i]}, key
        assert reader.get_with_statuses(key)[1] == {"population": values.statuses["population"][i],
                                                    "name": values.statuses["name"][i]}
    assert reader.get("x" * 5000) == {"population": 4, "name": "ü" * 3000}  # key and answer both beyond the first block
    assert reader.get("zrh") == {"population": 1, "name": "a"}  # and back to a short key in the larger block


@pytest.mark.parametrize("key", [None, 1.5, "1", b"1", [1], 2**63, -(2**63) - 1, object()])
def test_a_bad_int_key_raises(filled, key):
    reader = filled.online_reader(features=["stats:*"])
    with pytest.raises(larder.InvalidInputError, match="is not an int"):
        reader.get(key)
    assert reader.get(2)["trips"] == 6  # the block is still usable


@pytest.mark.parametrize("key", [None, 1, b"zrh", ["zrh"]])
def test_a_bad_string_key_raises(store, key):
    with pytest.raises(larder.InvalidInputError, match="is not a str"):
        store.online_reader(features="cities:*").get(key)


def test_keys_that_are_ints_in_all_but_type(filled):
    reader = filled.online_reader(features=["stats:trips"])
    assert reader.get(True) == reader.get(1) == {"trips": 3}
    np = pytest.importorskip("numpy")
    assert reader.get(np.int64(2)) == {"trips": 6}


def test_a_closed_reader_raises_even_through_a_kept_get(filled):
    reader = filled.online_reader(features=["stats:*"])
    get = reader.get
    assert get(1)["trips"] == 3
    reader.close()
    with pytest.raises(larder.InvalidInputError, match="closed"):
        get(1)
    with pytest.raises(larder.InvalidInputError, match="closed"):
        reader.get_with_statuses(1)


def test_threads_read_with_one_reader(filled):
    reader = filled.online_reader(features=["stats:*"])
    keys = list(range(-5, 320))
    expected = [reader.get(key) for key in keys]
    failures = []

    def read():
        for _ in range(20):
            if [reader.get(key) for key in keys] != expected:
                failures.append(threading.get_ident())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_huge_and_odd_batches(filled):
    reader = filled.online_reader(features=["stats:*"])
    keys = list(range(100_000))
    answer = reader.get_many(keys)
    assert answer["trips"][:3] == [None, 3, 6] and answer["trips"][-1] is None
    assert answer.statuses["trips"][-1] == "NOT_FOUND"
    assert reader.get_many([]) == {"driver_id": [], **{name: [] for name in FEATURES}}
    with pytest.raises(larder.InvalidInputError, match="is not an int64"):
        reader.get_many([1, None])
    with pytest.raises(larder.InvalidInputError):
        filled.get_online_features(features=["stats:*"], entity_rows=[{"driver_id": 1}, {"driver_id": [1]}])


def test_a_kept_get_keeps_its_reader(filled):
    get = filled.online_reader(features=["stats:*"]).get  # a bound method, as any other
    assert get(1)["trips"] == 3
    assert filled.online_reader(features=["stats:trips"]).get(2) == {"trips": 6}
    assert type(filled.online_reader(features=["stats:trips"])) is type(filled.online_reader(features=["stats:trips"]))
    assert isinstance(filled.online_reader(features=["stats:trips"]), larder.OnlineReader)


def test_get_many_equals_single_reads_with_ttl_deltas_and_event_times(filled):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ids = list(range(0, 400, 3))
    when = {i: now - dt.timedelta(hours=2 if i % 2 else 0, minutes=5 + i % 40) for i in ids}  # odd ids: outside the 1h TTL
    filled.write("fresh", pa.table({"driver_id": ids, "event_timestamp": pa.array([when[i] for i in ids], pa.timestamp("us", "UTC")),
                                    "speed": [None if i % 4 == 0 else i / 8 for i in ids]}))
    reader = filled.online_reader(features=["stats:*", "fresh:speed"])
    reader.get(1)  # the views cached now; the next runs are deltas
    later = [i for i in ids if i > 300]
    when.update({i: now - dt.timedelta(minutes=1) for i in later})
    filled.write("fresh", pa.table({"driver_id": later, "event_timestamp": pa.array([when[i] for i in later], pa.timestamp("us", "UTC")),
                                    "speed": [i / 4 for i in later]}))
    filled.write("stats", every_type_rows(30, start=2000))
    keys = random.Random(5).choices(range(-20, 2040), k=600) + [1, 301, 2029]
    for answer in (reader.get_many(keys),
                   filled.get_online_features(features=["stats:*", "fresh:speed"], entity_rows=[{"driver_id": k} for k in keys])):
        assert set(answer.statuses["speed"]) == {"PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE"}
        for i, key in enumerate(keys):
            values, statuses = reader.get_with_statuses(key)
            assert {name: answer[name][i] for name in values} == values, key
            assert {name: answer.statuses[name][i] for name in statuses} == statuses, key
            expected_time = when.get(key) if statuses["speed"] in ("PRESENT", "NULL_VALUE") else None
            assert answer.event_timestamps["speed"][i] == expected_time, key
            stats_time = T0 if statuses["trips"] in ("PRESENT", "NULL_VALUE") else None
            assert answer.event_timestamps["trips"][i] == stats_time, key


def test_get_many_with_zero_bytes_inside_strings_and_bytes(filled):
    rows = every_type_rows(3, start=5000).to_pylist()
    rows[0]["label_text"], rows[1]["label_text"], rows[2]["label_text"] = "a\0b", "\0", ""
    rows[0]["blob"], rows[1]["blob"], rows[2]["blob"] = b"\0\0", b"x", b"\0"
    filled.write("stats", pa.Table.from_pylist(rows, schema=every_type_rows(1).schema))
    reader = filled.online_reader(features=["stats:label_text", "stats:blob"])
    keys = [5000, 5001, 5002, 5001]
    answer = reader.get_many(keys)
    assert answer["label_text"] == ["a\0b", "\0", "", "\0"] and answer["blob"] == [b"\0\0", b"x", b"\0", b"x"]
    assert answer == {"driver_id": keys, **{name: [reader.get(k)[name] for k in keys] for name in ("label_text", "blob")}}
    plain = reader.get_many([1, 2, 3])  # no zero byte: the run is split at the terminators
    assert plain["label_text"] == [reader.get(k)["label_text"] for k in (1, 2, 3)]
