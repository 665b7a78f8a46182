"""The prepared online reader (``OnlineReader``) and the answer of a batch of entities
(``OnlineFeatures``): one call into libLarderC per read, decoded from caller-owned memory."""

from __future__ import annotations

import array
import ctypes
import datetime as _dt
import itertools
import json
import struct
import threading
import weakref

from . import _native as native
from ._native import lib
from .errors import InvalidInputError

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_PRESENT = native.STATUSES[0]
_HEADER = 32  # sizeof(larder_read_block): reader, key, size, needed
_FIRST_BLOCK = 4096
_U32, _U32x2 = struct.Struct("<I"), struct.Struct("<II")
_SLOTS = {"int64": "q", "timestamp": "q", "float64": "d", "bool": "?7x"}  # a bool slot is int64 0 or 1


def decode_timestamp(micros):
    """µs since the epoch as a UTC datetime."""
    return _EPOCH + _dt.timedelta(microseconds=micros)


class OnlineFeatures(dict):
    """The answer of ``get_online_features``: a dict of lists (join keys then features, in
    entity order) with ``statuses``, a dict of lists of ``PRESENT``, ``NULL_VALUE``,
    ``NOT_FOUND``, ``OUTSIDE_MAX_AGE`` per feature, and ``event_timestamps``, a dict of lists of
    the answering rows' event times (UTC datetimes, None where no row answers); both made when
    first asked for."""

    _statuses = None
    _make_statuses = None
    _event_timestamps = None
    _make_event_timestamps = None

    @property
    def event_timestamps(self) -> dict:
        """The event time of the row answering each value (None where none does), a list per
        feature."""
        if self._event_timestamps is None and self._make_event_timestamps is not None:
            self._event_timestamps, self._make_event_timestamps = self._make_event_timestamps(), None
        return self._event_timestamps

    @event_timestamps.setter
    def event_timestamps(self, value: dict):
        self._event_timestamps, self._make_event_timestamps = value, None

    @property
    def statuses(self) -> dict:
        """The status of every value, a list per feature."""
        if self._statuses is None and self._make_statuses is not None:
            self._statuses, self._make_statuses = self._make_statuses(), None
        return self._statuses

    @statuses.setter
    def statuses(self, value: dict):
        self._statuses, self._make_statuses = value, None


# The hot path, compiled per reader shape (key type, feature names and types) into a subclass of
# OnlineReader, as collections.namedtuple compiles its class: the key is written into this
# thread's read block, one ctypes call with the block as its only argument (larder_reader_read),
# one struct unpack into locals, and a dict display whose keys are constants. `_fetch` ends
# after the call and is shared by `get` and the slower paths.
_FETCH = {
    "int64": """
    try:
        words, data, header, answer = self._local.block
    except AttributeError:
        words, data, header, answer = self._new_block(_FIRST_BLOCK)
    try:
        header[1] = key
    except (TypeError, ValueError):
        raise self._bad_key(key) from None
    status = _call(words)
    if status:
        words, data, header, answer = self._again(status, data, _HEADER)
""",
    "string": """
    if not isinstance(key, str):
        raise self._bad_key(key)
    raw = key.encode()
    length = len(raw)
    try:
        words, data, header, answer = self._local.block
    except AttributeError:
        words, data, header, answer = self._new_block(_FIRST_BLOCK)
    if _HEADER + length > len(data):
        words, data, header, answer = self._new_block(_HEADER + length + _FIRST_BLOCK)
    header[1] = length
    data[_HEADER:_HEADER + length] = raw
    start = _HEADER + (length + 7 & ~7)
    answer = data[start:]
    status = _call(words)
    if status:
        words, data, header, answer = self._again(status, data, start)
""",
}

_COMPILED = {}  # source -> class: a reader prepared again (get_online_features does, every second) compiles nothing

_DECODE = {
    "int64": "{v}", "float64": "{v}", "bool": "{v}", "timestamp": "_timestamp({v})",
    "string": "str(answer[{v}:{v} + {n}], 'utf-8')", "bytes": "answer[{v}:{v} + {n}].tobytes()",
    "vector": "answer[{v}:{v} + {n}].cast('f').tolist()",
}


class OnlineReader:
    """A prepared online reader: names, versions and columns resolved once; ``get`` reads one
    entity and ``get_many`` a batch, each in one call into the library.

    ``reader.get(key)`` → ``{feature: value}`` (None unless PRESENT) is compiled for the
    reader's features when it is prepared (the reader's class is a subclass made for them, see
    ``_FETCH``), so a read costs one ctypes call, one ``struct`` unpack and one dict.

    Thread-safe: each thread reads into its own block of memory. Close the reader only when no
    other thread is reading with it."""

    def __init__(self, handle):
        self._handle = handle
        shape = json.loads(native.call_string(lib.larder_reader_describe, handle))
        self.join_keys = [key["name"] for key in shape["join_keys"]]
        self._key_type = shape["join_keys"][0]["type"] if len(shape["join_keys"]) == 1 else None
        self.feature_names = [f["name"] for f in shape["features"]]
        types = [f["type"] for f in shape["features"]]
        self.feature_types = dict(zip(self.feature_names, types))
        self._kinds = [t if t in ("int64", "timestamp", "float64", "bool", "string", "bytes") else "vector" for t in types]
        self._struct = struct.Struct("<" + "".join(_SLOTS.get(kind, "II") for kind in self._kinds) + f"{len(types)}s")
        self._local = threading.local()
        self._headers = []  # weak references to every block's header: close() takes the reader out of them
        if self._key_type in _FETCH:
            self.__class__ = self._compiled_class()

    def _compiled_class(self):
        """The subclass with ``get`` and ``_fetch`` compiled for this reader's shape (``_FETCH``)."""
        names, decoded = [], []
        for i, (name, kind) in enumerate(zip(self.feature_names, self._kinds)):
            names.append(f"v{i}, n{i}" if kind in ("string", "bytes", "vector") else f"v{i}")
            decoded.append(f"{name!r}: " + _DECODE[kind].format(v=f"v{i}", n=f"n{i}"))
        fetch = _FETCH[self._key_type]
        source = (f"def _fetch(self, key):{fetch}    return answer\n\n"
                  f"def get(self, key):{fetch}"
                  f"    {''.join(n + ', ' for n in names)}statuses = _unpack(answer)\n"
                  f"    if statuses != _all_present:\n"
                  f"        return self._decode(answer)[0]\n"
                  f"    return {{{', '.join(decoded)}}}\n")
        compiled = _COMPILED.get(source)
        if compiled is None:
            namespace = {"_call": lib.larder_reader_read, "_unpack": self._struct.unpack_from,
                         "_all_present": bytes(len(self._kinds)), "_timestamp": decode_timestamp,
                         "_HEADER": _HEADER, "_FIRST_BLOCK": _FIRST_BLOCK}
            exec(compile(source, "<larder reader>", "exec"), namespace)
            namespace["get"].__doc__ = OnlineReader.get.__doc__
            if len(_COMPILED) >= 256:
                _COMPILED.clear()
            compiled = _COMPILED[source] = type("OnlineReader", (OnlineReader,), {
                "get": namespace["get"], "_fetch": namespace["_fetch"], "__module__": __name__,
                "__qualname__": "OnlineReader", "__doc__": OnlineReader.__doc__})
        return compiled

    def close(self):
        """Frees the reader; a read afterwards raises ``InvalidInputError``."""
        handle, self._handle = self._handle, None
        if handle:
            for ref in self._headers:
                header = ref()
                if header is not None:
                    header[0] = 0  # a later read finds no reader instead of freed memory
            lib.larder_reader_close(handle)

    def __del__(self):
        self.close()

    def _new_block(self, size):
        """A read block of at least ``size`` bytes for this thread: ``(ctypes array, its bytes,
        its header as four int64, the bytes after the header)``."""
        words = (ctypes.c_uint64 * ((max(size, _FIRST_BLOCK) + 7) // 8))()
        data = memoryview(words).cast("B")
        header = data[:_HEADER].cast("q")
        header[0] = self._handle.value if self._handle else 0
        header[2] = len(data)
        self._headers = [ref for ref in self._headers if ref() is not None] + [weakref.ref(header)]
        self._local.block = block = (words, data, header, data[_HEADER:])
        return block

    def _again(self, status, data, start):
        """After a read that did not succeed: for a block too small, the read again in a block of
        the size it needs (the key copied over); otherwise the error, raised."""
        if status == native.BUFFER_TOO_SMALL:
            header = data[:_HEADER].cast("q")
            words, bigger, new_header, _ = self._new_block(header[3])
            new_header[1] = header[1]
            bigger[_HEADER:start] = data[_HEADER:start]
            status = lib.larder_reader_read(words)
            if status == native.OK:
                return words, bigger, new_header, bigger[start:]
        if not self._handle:
            raise InvalidInputError("invalid_input", "the reader is closed")
        raise native.error()

    def _bad_key(self, key):
        python = "an int" if self._key_type == "int64" else "a str"
        return InvalidInputError("invalid_input", f"the key {key!r} is not {python} ({self.join_keys[0]} is {self._key_type})")

    def get(self, key) -> dict:
        """The features of the entity ``key`` now, ``{name: value}`` (None unless PRESENT).

        A reader of an entity with one join key has this method compiled for its features
        (``_FETCH``); this one is the composite key's, which reads through
        ``get_online_features``."""
        raise InvalidInputError("invalid_input", f"the reader's entity has the composite key {self.join_keys}; "
                                                 "use get_online_features")

    _fetch = get

    def get_with_statuses(self, key):
        """``(values, statuses)``: the features of ``key`` and each one's status."""
        return self._decode(self._fetch(key))

    def _decode(self, answer):
        """``(values, statuses)`` of the one-entity answer at the start of ``answer``."""
        raw = self._struct.unpack_from(answer)
        codes = raw[-1]
        values, statuses = {}, {}
        at = 0
        for i, (name, kind) in enumerate(zip(self.feature_names, self._kinds)):
            wide = kind in ("string", "bytes", "vector")
            statuses[name] = native.STATUSES[codes[i]]
            if codes[i] != 0:
                values[name] = None
            elif wide:
                values[name] = _payloads(answer, [raw[at]], [raw[at + 1]], kind, True)[0]
            else:
                values[name] = decode_timestamp(raw[at]) if kind == "timestamp" else raw[at]
            at += 2 if wide else 1
        return values, statuses

    def get_many(self, keys) -> "OnlineFeatures":
        """The features of every entity of ``keys`` (ints or strs, as the join key's type) now, in
        one call: ``{join_key: keys, feature: [values]}`` with ``.statuses``, as
        ``get_online_features`` answers."""
        return self._get_many(list(keys))

    def _get_many(self, keys: list) -> "OnlineFeatures":
        """``get_many`` of a list the answer may keep."""
        if not self._handle:
            raise InvalidInputError("invalid_input", "the reader is closed")
        if self._key_type == "int64":
            try:
                packed = array.array("q", keys)
            except (TypeError, OverflowError):
                bad = next((k for k in keys if not isinstance(k, int) or not -2**63 <= k < 2**63), None)
                raise InvalidInputError("invalid_input", f"the key {bad!r} is not an int64 ({self.join_keys[0]} is int64)") from None
            args = (packed.buffer_info()[0], len(keys))
        elif self._key_type == "string":
            if not all(isinstance(k, str) for k in keys):
                bad = next(k for k in keys if not isinstance(k, str))
                raise InvalidInputError("invalid_input", f"the key {bad!r} is not a str ({self.join_keys[0]} is string)")
            encoded = [k.encode() for k in keys]
            offsets = array.array("q", itertools.accumulate(map(len, encoded), initial=0))
            packed = b"".join(encoded)
            args = (packed, offsets.buffer_info()[0], len(keys))
        else:
            raise InvalidInputError("invalid_input", f"the reader's entity has the composite key {self.join_keys}; "
                                                     "use get_online_features")
        function = lib.larder_reader_get_many_int64 if self._key_type == "int64" else lib.larder_reader_get_many_string
        block = getattr(self._local, "block", None) or self._new_block(_FIRST_BLOCK)
        needed = ctypes.c_size_t()
        status = function(self._handle, *args, ctypes.addressof(block[0]) + _HEADER, len(block[3]), ctypes.byref(needed))
        while status == native.BUFFER_TOO_SMALL:
            block = self._new_block(_HEADER + needed.value)
            status = function(self._handle, *args, ctypes.addressof(block[0]) + _HEADER, len(block[3]), ctypes.byref(needed))
        native.check(status)
        answer = OnlineFeatures({self.join_keys[0]: keys})
        self._columns(block[3], len(keys), answer)
        return answer

    def _columns(self, view, n, into):
        """Decodes the answer for ``n`` entities (larder.h, ``larder_reader_get_many_int64``) into
        the dict ``into``, a list per feature, and gives it the makers of its statuses and event
        times (the bytes they need copied now: ``view`` is reused by the next read). Each
        feature's values are one slice of the buffer, turned into a list in one step."""
        cells = len(self._kinds) * n
        words = view[:8 * cells]
        codes = view[8 * cells:9 * cells].tobytes()
        present = bytes(n)
        nulls = codes != bytes(cells)
        for f, (name, kind) in enumerate(zip(self.feature_names, self._kinds)):
            slots = words[8 * f * n:8 * (f + 1) * n]
            states = codes[f * n:(f + 1) * n] if nulls else present
            if kind == "float64":
                values = slots.cast("d").tolist()
            elif kind == "int64":
                values = slots.cast("q").tolist()
            elif kind == "bool":
                values = list(map(bool, slots.cast("q").tolist()))
            elif kind == "timestamp":
                values = list(map(decode_timestamp, slots.cast("q").tolist()))
            elif n and states == present and kind != "vector":
                values = _split_run(view, slots, n, kind)
            else:
                pairs = slots.cast("I")
                values = _payloads(view, pairs[0::2].tolist(), pairs[1::2].tolist(), kind, states == present)
            if states != present:
                for i, code in enumerate(states):
                    if code:
                        values[i] = None
            into[name] = values
        names = self.feature_names
        start = 9 * cells + 7 & ~7
        times = view[start:start + 8 * cells].tobytes()

        def statuses():
            if not nulls:
                return {name: [_PRESENT] * n for name in names}
            return {name: [native.STATUSES[code] for code in codes[f * n:(f + 1) * n]] for f, name in enumerate(names)}

        def event_timestamps():
            micros = memoryview(times).cast("q")
            return {name: [None if codes[f * n + i] >= 2 else decode_timestamp(micros[f * n + i]) for i in range(n)]
                    for f, name in enumerate(names)}
        into._make_statuses, into._make_event_timestamps = statuses, event_timestamps


def _split_run(view, slots, n, kind):
    """The ``n`` string or bytes values of one feature, all present: its run of payloads (from
    the first value's offset to the last value's end) split at the zero byte that follows each
    value, in one call; by offsets instead when a value holds a zero byte itself."""
    first = _U32.unpack_from(slots)[0]
    last, length = _U32x2.unpack_from(slots, 8 * (n - 1))
    run = view[first:last + length].tobytes()
    values = run.decode().split("\0") if kind == "string" else run.split(b"\0")
    if len(values) == n:
        return values
    pairs = slots.cast("I")
    return _payloads(view, pairs[0::2].tolist(), pairs[1::2].tolist(), kind, True)


def _payloads(view, offsets, lengths, kind, all_present):
    """The string, bytes or vector values at ``offsets`` / ``lengths`` of ``view``. A feature's
    strings are one contiguous UTF-8 run: decoded at once, and sliced when it is ASCII."""
    if kind == "string" and all_present and offsets:
        start = offsets[0]
        run = bytes(view[start:offsets[-1] + lengths[-1]])
        text = run.decode()
        if len(text) == len(run):
            return [text[o - start:o - start + n] for o, n in zip(offsets, lengths)]
    if kind == "string":
        return [str(view[o:o + n], "utf-8") for o, n in zip(offsets, lengths)]
    if kind == "bytes":
        return [bytes(view[o:o + n]) for o, n in zip(offsets, lengths)]
    return [memoryview(bytes(view[o:o + n])).cast("f").tolist() for o, n in zip(offsets, lengths)]
