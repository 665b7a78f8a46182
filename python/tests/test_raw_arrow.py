"""Hand-made Arrow C structures with mistakes in them: each is refused with an error naming
the problem, and the interpreter lives on (the library checks every structure it reads)."""

import ctypes

import pytest

import larder
from larder import _native


class Schema(ctypes.Structure):
    pass


class Array(ctypes.Structure):
    pass


RELEASE_SCHEMA = ctypes.CFUNCTYPE(None, ctypes.POINTER(Schema))
RELEASE_ARRAY = ctypes.CFUNCTYPE(None, ctypes.POINTER(Array))
Schema._fields_ = [("format", ctypes.c_char_p), ("name", ctypes.c_char_p), ("metadata", ctypes.c_char_p),
                   ("flags", ctypes.c_int64), ("n_children", ctypes.c_int64),
                   ("children", ctypes.POINTER(ctypes.POINTER(Schema))), ("dictionary", ctypes.POINTER(Schema)),
                   ("release", RELEASE_SCHEMA), ("private_data", ctypes.c_void_p)]
Array._fields_ = [("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
                  ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64),
                  ("buffers", ctypes.POINTER(ctypes.c_void_p)), ("children", ctypes.POINTER(ctypes.POINTER(Array))),
                  ("dictionary", ctypes.POINTER(Array)), ("release", RELEASE_ARRAY), ("private_data", ctypes.c_void_p)]
GET_SCHEMA = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Schema))
GET_NEXT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Array))
GET_ERROR = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
ERROR_TEXT = ctypes.create_string_buffer(b"the producer failed on purpose")
RELEASE_STREAM = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class Stream(ctypes.Structure):
    _fields_ = [("get_schema", GET_SCHEMA), ("get_next", GET_NEXT), ("get_last_error", GET_ERROR),
                ("release", RELEASE_STREAM), ("private_data", ctypes.c_void_p)]


def release_schema(schema):
    schema.contents.release = RELEASE_SCHEMA()


def release_array(array):
    array.contents.release = RELEASE_ARRAY()


class RawSpine:
    """A stream of one batch of (driver_id int64, event_timestamp tsu:UTC) that can be broken."""

    def __init__(self, rows=2, **faults):
        self.faults = faults
        self.keep = []
        self.sent = False
        self.released = False
        ids = (ctypes.c_int64 * rows)(*range(rows))
        times = (ctypes.c_int64 * rows)(*([1_767_225_600_000_000] * rows))
        self.columns = [(b"driver_id", faults.get("key_format", b"l"), ids), (b"event_timestamp", b"tsu:UTC", times)]
        self.rows = rows
        self.callbacks = (GET_SCHEMA(self.get_schema), GET_NEXT(self.get_next), GET_ERROR(self.error),
                          RELEASE_STREAM(self.release))
        self.stream = Stream(*self.callbacks, None)

    def error(self, _):
        return ctypes.addressof(ERROR_TEXT)

    def release(self, stream):
        self.released = True
        ctypes.cast(stream, ctypes.POINTER(Stream)).contents.release = RELEASE_STREAM()

    def get_schema(self, _, out):
        if self.faults.get("schema_fails"):
            return 5
        children = (ctypes.POINTER(Schema) * len(self.columns))()
        for i, (name, format_, _) in enumerate(self.columns):
            child = Schema(format_, name, None, 2, 0, None, None, RELEASE_SCHEMA(release_schema), None)
            self.keep.append(child)
            children[i] = ctypes.pointer(child)
        self.keep.append(children)
        out.contents.format = self.faults.get("top_format", b"+s")
        out.contents.name = b""
        out.contents.n_children = len(self.columns)
        out.contents.children = children
        out.contents.release = RELEASE_SCHEMA(release_schema)
        self.keep.append(out.contents.release)
        return 0

    def get_next(self, _, out):
        if self.sent:
            out.contents.release = RELEASE_ARRAY()
            return 0
        self.sent = True
        children = (ctypes.POINTER(Array) * len(self.columns))()
        for i, (_, format_, data) in enumerate(self.columns):
            n_buffers = self.faults.get("n_buffers", 2) if i == 0 else 2
            text = None
            if format_ == b"u" and "text" in self.faults:
                n_buffers, text = 3, ctypes.addressof(self.faults["text"])
            buffers = (ctypes.c_void_p * 3)(None, None if self.faults.get("null_data") and i == 0 else ctypes.addressof(data), text)
            length = self.faults.get("child_length", self.rows) if i == 0 else self.rows
            child = Array(length, self.faults.get("null_count", 0) if i == 0 else 0, 0, n_buffers, 0, buffers, None, None,
                          RELEASE_ARRAY(release_array), None)
            self.keep += [buffers, child]
            children[i] = ctypes.pointer(child)
        self.keep.append(children)
        top_buffers = (ctypes.c_void_p * 1)(None)
        self.keep.append(top_buffers)
        out.contents.length = self.rows
        out.contents.n_buffers = 1
        out.contents.buffers = top_buffers
        out.contents.n_children = self.faults.get("n_children", len(self.columns))
        out.contents.children = children
        out.contents.release = RELEASE_ARRAY(release_array)
        self.keep.append(out.contents.release)
        return 0


def historical(store, spine):
    out = _native.ArrowArrayStream()
    status = _native.lib.larder_historical(store._h, ctypes.addressof(spine.stream), b"fresh:speed", None, None, 0, 0,
                                           ctypes.addressof(out))
    assert spine.released, "the library must release the stream it was given"
    if status != 0:
        raise _native.error()
    return _native.ArrowArrayStream  # success: nothing more to check here


def test_a_well_formed_raw_stream_is_read(store):
    historical(store, RawSpine())


@pytest.mark.parametrize("faults, message", [
    ({"schema_fails": True}, "the producer failed on purpose"),
    ({"top_format": b"l"}, "not a table"),
    ({"key_format": b"+m"}, r'column "driver_id" has the Arrow type "\+m"'),
    ({"key_format": b"u"}, 'column "driver_id"'),
    ({"n_buffers": 1}, 'column "driver_id"'),
    ({"n_buffers": 5}, 'column "driver_id"'),
    ({"null_data": True}, "no data buffer"),
    ({"child_length": 1}, 'column "driver_id"'),
    ({"n_children": 1}, "does not match its schema"),
    ({"null_count": 1}, "no validity bitmap"),
])
def test_broken_structures_are_refused(store, faults, message):
    with pytest.raises(larder.InvalidInputError, match=message):
        historical(store, RawSpine(**faults))


def test_string_offsets_that_go_backwards_are_refused(store):
    text = ctypes.create_string_buffer(b"zrh-bern")
    spine = RawSpine(key_format=b"u", text=text)
    spine.columns[0] = (b"city_code", b"u", (ctypes.c_int32 * 3)(0, 4, 2))
    out = _native.ArrowArrayStream()
    status = _native.lib.larder_historical(store._h, ctypes.addressof(spine.stream), b"cities:population", None, None,
                                           0, 0, ctypes.addressof(out))
    assert status == 1 and spine.released
    assert "offsets go backwards" in _native.error().message
    good = RawSpine(key_format=b"u", text=text)
    good.columns[0] = (b"city_code", b"u", (ctypes.c_int32 * 3)(0, 3, 8))
    status = _native.lib.larder_historical(store._h, ctypes.addressof(good.stream), b"cities:population", None, None,
                                           0, 0, ctypes.addressof(out))
    assert status == 0, _native.error().message
    import pyarrow as pa
    assert pa.RecordBatchReader._import_from_c(ctypes.addressof(out)).read_all().num_rows == 2
