"""Loading libLarderC and declaring its functions (larder.h) for ctypes."""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path

from .errors import from_json

ABI_VERSION = 5


class ArrowArrayStream(ctypes.Structure):
    """The Arrow C stream interface's struct: filled by its producer, moved by address."""

    _fields_ = [
        ("get_schema", ctypes.c_void_p),
        ("get_next", ctypes.c_void_p),
        ("get_last_error", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


def _candidates():
    explicit = os.environ.get("LARDER_LIBRARY")
    if explicit:
        yield Path(explicit)
        return
    here = Path(__file__).resolve().parent
    yield here / "libLarderC.so"
    yield here / "libLarderC.dylib"
    # A source checkout: the library built in the repository's .build folder.
    build = here.parent.parent / ".build"
    for config in ("release", "debug"):
        yield build / config / "libLarderC.so"
        yield build / config / "libLarderC.dylib"


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            break
    else:
        raise ImportError(
            "cannot find Larder's C library (libLarderC); tried " + ", ".join(tried)
            + ". Build it with `swift build -c release --product LarderC` in the repository, "
            "reinstall the package, or set LARDER_LIBRARY to its path")
    version = lib.larder_abi_version()
    if version != ABI_VERSION:
        raise ImportError(f"{path} has ABI version {version}; this package needs {ABI_VERSION}")
    return lib


lib = _load()

P = ctypes.c_void_p
S = ctypes.c_char_p
I32 = ctypes.c_int
I64 = ctypes.c_int64
PI64 = ctypes.POINTER(ctypes.c_int64)
OUT_STR = ctypes.POINTER(ctypes.c_void_p)
OUT_HANDLE = ctypes.POINTER(ctypes.c_void_p)
SIZE = ctypes.c_size_t
# larder_interval_function: (context, start, end, out stream, message, capacity) -> int
INTERVAL_FUNCTION = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
                                     ctypes.c_void_p, ctypes.c_size_t)

_SIGNATURES = {
    "larder_last_error": (S, []),
    "larder_string_free": (None, [P]),
    "larder_open": (I32, [S, I32, OUT_HANDLE]),
    "larder_close": (None, [P]),
    "larder_apply": (I32, [P, S, I32, I32, OUT_STR]),
    "larder_catalog_json": (I32, [P, OUT_STR]),
    "larder_describe_json": (I32, [P, S, I64, OUT_STR]),
    "larder_runs_json": (I32, [P, S, OUT_STR]),
    "larder_cache_json": (I32, [P, OUT_STR]),
    "larder_write": (I32, [P, S, I64, P, I32, OUT_STR]),
    "larder_backfill": (I32, [P, S, I64, S, S, S, S, S, I32, OUT_STR]),
    "larder_historical": (I32, [P, P, S, S, PI64, I32, I32, P]),
    "larder_features_at": (I32, [P, I64, S, S, PI64, I32, P]),
    "larder_online": (I32, [P, S, S, I32, P, P, P]),
    "larder_online_with_event_times": (I32, [P, S, S, I32, P, P, P, P]),
    "larder_export": (I32, [P, S, I64, PI64, PI64, PI64, S, PI64]),
    "larder_reader_open": (I32, [P, S, S, I32, OUT_HANDLE]),
    "larder_reader_close": (None, [P]),
    "larder_reader_describe": (I32, [P, OUT_STR]),
    "larder_backfill_intervals": (I32, [P, S, I64, I64, I64, I64, S, INTERVAL_FUNCTION, P, I32, I64, I32, OUT_STR]),
    "larder_ledger_json": (I32, [P, S, I64, OUT_STR]),
    "larder_reader_get_many_int64": (I32, [P, P, SIZE, P, SIZE, ctypes.POINTER(SIZE)]),
    "larder_reader_get_many_string": (I32, [P, P, P, SIZE, P, SIZE, ctypes.POINTER(SIZE)]),
}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes

# The hot path, larder_reader_read(larder_read_block *): its one argument is always the ctypes
# array of a read block, which ctypes passes by address with no conversion when no argtypes
# are declared (with argtypes, a from_param call per argument and call: 0.2-0.4 µs measured).
# Never call it with anything else. restype int (ctypes' default), said anyway.
lib.larder_reader_read.restype = I32

OK = 0
BUFFER_TOO_SMALL = 6
ASSUME_UTC = 1
ALLOW_MISSING_FEATURES = 2
IGNORE_UNKNOWN_COLUMNS = 4
SKIP_IF_UNCHANGED = 8
FORCE = 16
FAIL_FAST = 32
STATUSES = ("PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE")


def error():
    """The exception for this thread's last error."""
    return from_json(json.loads(lib.larder_last_error().decode()))


def check(status: int) -> None:
    """Raises the library's error unless ``status`` is success."""
    if status != OK:
        raise error()


def call_string(function, *args) -> str:
    """Calls a function whose last argument is a ``char **out`` and returns that string."""
    out = ctypes.c_void_p()
    check(function(*args, ctypes.byref(out)))
    try:
        return ctypes.string_at(out.value).decode()
    finally:
        lib.larder_string_free(out)


def encode(text):
    return None if text is None else text.encode()
