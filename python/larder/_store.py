"""The FeatureStore class: pure-Python glue over libLarderC."""

from __future__ import annotations

import ctypes
import datetime as _dt
import json
import operator
import os
import shutil
import tempfile
import traceback
import time

import pyarrow as pa
import pyarrow.ipc

from . import _native as native
from ._native import ArrowArrayStream, lib
from ._reader import OnlineFeatures, OnlineReader, decode_timestamp
from .errors import BackfillFailedError, InvalidInputError

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _micros(value, what: str):
    """A time (datetime with a time zone, pandas Timestamp, RFC 3339 string) as µs since the epoch."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError("invalid_input", f"{what}: {value!r} is not an RFC 3339 time") from None
    if hasattr(value, "to_pydatetime") and hasattr(value, "value") and hasattr(value, "tzinfo"):
        if value.tzinfo is None:
            raise InvalidInputError("invalid_input", f"{what}: {value} has no time zone; give one (UTC)")
        return int(value.value) // 1000  # pandas.Timestamp: ns since the epoch
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise InvalidInputError("invalid_input", f"{what}: {value} has no time zone; give one (UTC)")
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    raise InvalidInputError("invalid_input", f"{what}: expected a datetime with a time zone or an RFC 3339 string, "
                                             f"not {type(value).__name__}")


def _time_arg(value, what):
    micros = _micros(value, what)
    return None if micros is None else ctypes.byref(ctypes.c_int64(micros))


def _table(data, what: str) -> pa.Table:
    """``data`` (a pandas DataFrame, a pyarrow Table, RecordBatch or RecordBatchReader, or
    anything with ``__arrow_c_stream__``) as a pyarrow Table, without copying Arrow data."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data).read_all()
    if type(data).__module__.startswith("pandas"):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise InvalidInputError("invalid_input", f"{what}: expected a pandas DataFrame, a pyarrow Table or "
                                             f"RecordBatchReader, or an object with __arrow_c_stream__, not "
                                             f"{type(data).__name__}")


def _export_stream(data, what, address):
    """Exports ``data`` as an ArrowArrayStream into the struct at ``address``."""
    reader = data if isinstance(data, pa.RecordBatchReader) else _table(data, what).to_reader()
    reader._export_to_c(address)


def _stream_in(data, what):
    """An ArrowArrayStream struct holding ``data``, to move into the library."""
    stream = ArrowArrayStream()
    _export_stream(data, what, ctypes.addressof(stream))
    return stream


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}


def _duration(value, what: str) -> int:
    """A duration (``"1d"``, ``"90s"``, ``"0"`` as in definitions, or a timedelta) in µs."""
    if isinstance(value, _dt.timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    elif isinstance(value, str) and value == "0":
        micros = 0
    elif isinstance(value, str) and len(value) >= 2 and value[:-1].isdigit() and value[-1] in _DURATION_UNITS:
        micros = int(value[:-1]) * _DURATION_UNITS[value[-1]] * 1_000_000
    else:
        raise InvalidInputError("invalid_input", f"{what}: {value!r} is not a duration (90s, 15m, 12h, 7d or a timedelta)")
    if micros < 0:
        raise InvalidInputError("invalid_input", f"{what}: {value!r} is negative")
    return micros


def _read_stream(stream: ArrowArrayStream) -> pa.Table:
    """The Table of a stream the library filled (its buffers stay the library's memory)."""
    return pa.RecordBatchReader._import_from_c(ctypes.addressof(stream)).read_all()


class FeatureStore:
    """A Larder store (one SQLite file), opened in this process.

    >>> with larder.FeatureStore("larder.db") as store:
    ...     train = store.get_historical_features(entity_df, feature_set="driver_ranking").to_pandas()

    A store may be used from several threads; calls release the GIL.
    """

    def __init__(self, path="larder.db", create: bool = True):
        self.path = os.fspath(path)
        handle = ctypes.c_void_p()
        native.check(lib.larder_open(self.path.encode(), int(create), ctypes.byref(handle)))
        self._handle = handle
        self._readers = {}

    # Lifetime

    def close(self) -> None:
        """Closes the store; readers and results made from it stay usable."""
        handle, self._handle = getattr(self, "_handle", None), None
        self._readers = {}
        if handle:
            lib.larder_close(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @property
    def _h(self):
        if not self._handle:
            raise InvalidInputError("invalid_input", f"the store {self.path} is closed")
        return self._handle

    # Definitions and listings

    def apply(self, path, carry_data: bool = False, dry_run: bool = False) -> str:
        """Applies a definitions file (YAML); returns the plan as ``larder apply`` prints it."""
        plan = native.call_string(lib.larder_apply, self._h, os.fspath(path).encode(), int(carry_data), int(dry_run))
        self._readers = {}  # get_online_features prepares its readers again, on the new versions
        return plan

    def catalog(self) -> list:
        """Every entity, feature view and feature set (``larder list --format json``)."""
        return json.loads(native.call_string(lib.larder_catalog_json, self._h))

    def views(self) -> list:
        """The latest version of every feature view, as dicts (name, version, entity, ttl, features)."""
        return [item for item in self.catalog() if item["kind"] == "feature_view"]

    def describe(self, view: str, version: int | None = None) -> dict:
        """A view version in full (``larder describe``)."""
        return json.loads(native.call_string(lib.larder_describe_json, self._h, view.encode(), version or 0))

    def runs(self, view: str) -> list:
        """The ingest runs of ``view``, newest first, as dicts (``larder runs --format json``)."""
        return json.loads(native.call_string(lib.larder_runs_json, self._h, view.encode()))

    def cache(self) -> list:
        """The columnar cache's entries (view, version, rows, bytes, mapped, delta_rows)."""
        return json.loads(native.call_string(lib.larder_cache_json, self._h))

    # Writes

    def write(self, view: str, data, version: int | None = None, assume_utc: bool = False,
              allow_missing_features: bool = False, ignore_unknown_columns: bool = False,
              skip_if_unchanged: bool = False) -> dict:
        """Writes ``data`` (pandas DataFrame, pyarrow Table/RecordBatchReader, ``__arrow_c_stream__``)
        to ``view`` as one run, validated as a backfill is. Raises ``ValidationError`` (nothing
        written) with the problems. Returns the run's result (run_id, rows_written, …)."""
        flags = (native.ASSUME_UTC * assume_utc | native.ALLOW_MISSING_FEATURES * allow_missing_features
                 | native.IGNORE_UNKNOWN_COLUMNS * ignore_unknown_columns | native.SKIP_IF_UNCHANGED * skip_if_unchanged)
        stream = _stream_in(data, "data")
        return json.loads(native.call_string(lib.larder_write, self._h, view.encode(), version or 0,
                                             ctypes.addressof(stream), flags))

    def backfill(self, view: str, path, version: int | None = None, format: str | None = None,
                 on_error: str = "stop", reject_file=None, time_unit: str | None = None,
                 assume_utc: bool = False, allow_missing_features: bool = False,
                 ignore_unknown_columns: bool = False, skip_if_unchanged: bool = False) -> dict:
        """Backfills ``view`` from a CSV or JSON Lines file (``larder backfill``)."""
        flags = (native.ASSUME_UTC * assume_utc | native.ALLOW_MISSING_FEATURES * allow_missing_features
                 | native.IGNORE_UNKNOWN_COLUMNS * ignore_unknown_columns | native.SKIP_IF_UNCHANGED * skip_if_unchanged)
        reject = None if reject_file is None else os.fspath(reject_file).encode()
        return json.loads(native.call_string(lib.larder_backfill, self._h, view.encode(), version or 0,
                                             os.fspath(path).encode(), native.encode(format), native.encode(on_error),
                                             reject, native.encode(time_unit), flags))

    def backfill_intervals(self, view: str, fn, start, end, every, name: str | None = None,
                           version: int | None = None, jobs: int = 1, force: bool = False, lookback=None,
                           fail_fast: bool = False, assume_utc: bool = False, allow_missing_features: bool = False,
                           ignore_unknown_columns: bool = False) -> dict:
        """Backfills ``view`` over the intervals ``[start, end)`` of ``every`` (``larder backfill
        --command``, with a Python function instead of a command): for each interval not yet
        committed under the same ``name``, ``fn(interval_start, interval_end)`` (UTC datetimes)
        returns its rows (a pandas DataFrame, pyarrow Table/RecordBatchReader, anything with
        ``__arrow_c_stream__``; ``None`` or no rows: an empty interval, committed as an empty
        run), which are validated (a row outside its interval is a problem) and committed as one
        run with the interval's ledger entry in the same transaction.

        ``name`` stands for the function in the ledger (default: its module and qualified name):
        change it when the function changes, so the intervals are recomputed. ``force``
        recomputes every interval; ``lookback`` (``"2d"`` or a timedelta) the ones ending within
        it before ``end``, as new runs when their content changed. ``jobs`` intervals are
        computed at once on Larder's threads (each call holds the GIL, so this pays off when
        ``fn`` releases it: pandas, I/O); commits stay in interval order. An exception in ``fn``
        fails its interval (the ledger keeps its message); the others go on unless
        ``fail_fast``.

        Returns the report ``{"all_committed": bool, "intervals": [{"start", "end", "outcome",
        "run_id", "rows", "message"}]}`` (outcomes ``committed``, ``skipped``, ``unchanged``,
        ``failed``, ``not_run``); raises ``BackfillFailedError`` (with ``.report``) when an
        interval is not committed."""
        handle = self._h
        if not callable(fn):
            raise InvalidInputError("invalid_input", f"fn must be a function of (start, end), not {type(fn).__name__}")
        if name is None:
            name = f"{getattr(fn, '__module__', None) or ''}.{getattr(fn, '__qualname__', None) or type(fn).__name__}"
        flags = (native.ASSUME_UTC * assume_utc | native.ALLOW_MISSING_FEATURES * allow_missing_features
                 | native.IGNORE_UNKNOWN_COLUMNS * ignore_unknown_columns | native.FORCE * force
                 | native.FAIL_FAST * fail_fast)

        def call(_context, start_us, end_us, out, message, capacity):
            try:
                rows = fn(decode_timestamp(start_us), decode_timestamp(end_us))
                if rows is not None:
                    _export_stream(rows, "the function's result", out)
                return 0
            except BaseException as error:  # noqa: BLE001 (the interval fails, with the reason)
                text = "".join(traceback.format_exception_only(type(error), error)).strip().encode()
                ctypes.memmove(message, text[:capacity], min(len(text), capacity))
                return 1

        callback = native.INTERVAL_FUNCTION(call)
        report = json.loads(native.call_string(
            lib.larder_backfill_intervals, handle, view.encode(), version or 0, _micros(start, "start"),
            _micros(end, "end"), _duration(every, "every"), name.encode(), callback, None, int(jobs),
            _duration(lookback, "lookback") if lookback is not None else 0, flags))
        if not report["all_committed"]:
            failed = [i for i in report["intervals"] if i["outcome"] != "committed" and i["outcome"] not in ("skipped", "unchanged")]
            raise BackfillFailedError(report, failed)
        return report

    def ledger(self, view: str, version: int | None = None) -> list:
        """The backfill ledger of ``view`` (``larder ledger``): per interval, its status
        (``committed``, ``failed``), run, command or function name, fingerprint and message."""
        return json.loads(native.call_string(lib.larder_ledger_json, self._h, view.encode(), version or 0))

    # Reads

    @staticmethod
    def _features(features, feature_set):
        if features is not None and not isinstance(features, str):
            features = ",".join(features)
        return native.encode(features), native.encode(feature_set)

    def get_historical_features(self, entity_df, features=None, feature_set: str | None = None, as_of=None,
                                full_feature_names: bool = False, assume_utc: bool = False) -> pa.Table:
        """Training data: for each row of ``entity_df`` (join keys, ``event_timestamp``, any other
        columns), the features as they were at its time, seen from ``as_of`` (default now).

        Returns a ``pyarrow.Table``: ``entity_df``'s columns with their own types, then one
        column per feature; the feature columns are Larder's memory, not copies."""
        spine = _table(entity_df, "entity_df")
        refs, set_name = self._features(features, feature_set)
        stream_in = _stream_in(spine, "entity_df")
        out = ArrowArrayStream()
        native.check(lib.larder_historical(self._h, ctypes.addressof(stream_in), refs, set_name,
                                           _time_arg(as_of, "as_of"), int(full_feature_names),
                                           native.ASSUME_UTC * assume_utc, ctypes.addressof(out)))
        result = _read_stream(out)
        return pa.Table.from_arrays(spine.columns + result.columns, names=spine.column_names + result.column_names)

    def get_features_at(self, time, features=None, feature_set: str | None = None, as_of=None,
                        full_feature_names: bool = False) -> pa.Table:
        """Batch scoring: every entity key with a row, ascending, with its features at ``time``."""
        refs, set_name = self._features(features, feature_set)
        out = ArrowArrayStream()
        native.check(lib.larder_features_at(self._h, _micros(time, "time"), refs, set_name,
                                            _time_arg(as_of, "as_of"), int(full_feature_names),
                                            ctypes.addressof(out)))
        return _read_stream(out)

    def export(self, view: str, version: int | None = None, start=None, end=None, as_of=None) -> pa.RecordBatchReader:
        """Every stored row of ``view`` (join keys, event_timestamp, created_timestamp, run_id,
        features) with event times in [start, end), seen from ``as_of``, in key order, as a
        RecordBatchReader of batches of at most 65,536 rows (read from a memory-mapped file)."""
        folder = tempfile.mkdtemp(prefix="larder-export-")
        try:
            path = os.path.join(folder, "export.arrow")
            rows = ctypes.c_int64()
            native.check(lib.larder_export(self._h, view.encode(), version or 0, _time_arg(start, "start"),
                                           _time_arg(end, "end"), _time_arg(as_of, "as_of"), path.encode(),
                                           ctypes.byref(rows)))
            reader = pa.ipc.open_file(pa.memory_map(path))
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # the mapping stays valid
        return pa.RecordBatchReader.from_batches(
            reader.schema, (reader.get_batch(i) for i in range(reader.num_record_batches)))

    def get_online_features(self, features=None, feature_set: str | None = None, entity_rows=(),
                            full_feature_names: bool = False) -> OnlineFeatures:
        """Serving: the features of each entity now. ``entity_rows`` is a list of dicts of join
        keys (``[{"driver_id": 1001}, …]``). Returns a dict of lists, join keys first, with
        ``.statuses``.

        An entity with one join key is read through a prepared reader kept for the request's
        shape (features or feature set, naming) for up to a second, so definitions applied
        meanwhile by another process are seen within that time (at once when applied through
        this object); a composite key goes through an Arrow table."""
        rows = entity_rows if isinstance(entity_rows, list) else list(entity_rows)
        if not rows:
            raise InvalidInputError("invalid_input", "no entity_rows given")
        reader = self._cached_reader(features, feature_set, full_feature_names)
        first = rows[0]
        if len(first) == 1 and reader._key_type is not None:
            name = reader.join_keys[0]
            try:
                keys = list(map(operator.itemgetter(name), rows))
            except (KeyError, TypeError):
                keys = None
            if keys is not None and sum(map(len, rows)) == len(rows):  # each row has the key, so: only the key
                try:
                    return reader._get_many(keys)
                except InvalidInputError:
                    pass  # a null or mistyped key: the Arrow path answers NOT_FOUND or names the problem
        keys = list(first)
        columns = {}
        for key in keys:
            try:
                columns[key] = [row[key] for row in rows]
            except KeyError:
                raise InvalidInputError("invalid_input", f"an entity row has no {key!r} (every row needs {keys})") from None
        try:
            entities = pa.table(columns)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise InvalidInputError("invalid_input", f"entity_rows: {error}") from None
        refs, set_name = self._features(features, feature_set)
        stream_in = _stream_in(entities, "entity_rows")
        values, statuses, times = ArrowArrayStream(), ArrowArrayStream(), ArrowArrayStream()
        native.check(lib.larder_online_with_event_times(self._h, refs, set_name, int(full_feature_names),
                                                        ctypes.addressof(stream_in), ctypes.addressof(values),
                                                        ctypes.addressof(statuses), ctypes.addressof(times)))
        answer = OnlineFeatures(columns)
        answer.update(_read_stream(values).to_pydict())
        answer.statuses = {name: [native.STATUSES[code] for code in codes]
                           for name, codes in _read_stream(statuses).to_pydict().items()}
        answer.event_timestamps = _read_stream(times).to_pydict()
        return answer

    _READER_MAX_AGE_S = 1.0
    _READER_MAX_SHAPES = 1024

    def _cached_reader(self, features, feature_set, full_feature_names) -> "OnlineReader":
        """The prepared reader of a request's shape, prepared again after ``_READER_MAX_AGE_S``."""
        shape = (features if features is None or isinstance(features, str) else tuple(features), feature_set,
                 bool(full_feature_names))
        now = time.monotonic()
        kept = self._readers.get(shape)
        if kept is not None and now - kept[1] < self._READER_MAX_AGE_S:
            return kept[0]
        reader = self.online_reader(feature_set, features, full_feature_names)
        if len(self._readers) >= self._READER_MAX_SHAPES:
            self._readers.clear()
        self._readers[shape] = (reader, now)
        return reader

    def online_reader(self, feature_set: str | None = None, features=None,
                      full_feature_names: bool = False) -> "OnlineReader":
        """A prepared reader for the hot path: ``reader.get(1001)`` → ``{feature: value}``."""
        refs, set_name = self._features(features, feature_set)
        handle = ctypes.c_void_p()
        native.check(lib.larder_reader_open(self._h, refs, set_name, int(full_feature_names), ctypes.byref(handle)))
        return OnlineReader(handle)
