import Foundation
import LarderTestSupport

/// Arrow IPC inputs written by pyarrow for ``ArrowInputTests``: every type
/// Larder reads, with nulls, several batches, slices, 0 rows, the legacy
/// framing, the file format, dictionaries that change, a pandas
/// categorical; beside them `expected.json`, the values Larder must read
/// (times in microseconds since the epoch, UTC).
enum ArrowInputFixtures {
    /// Writes the inputs into `folder` and returns the expected values by file.
    static func write(into folder: String) throws -> [String: [String: [Any?]]] {
        let python = try PyArrow.interpreter()
        let (status, output) = PyArrow.run([python, "-c", script, folder])
        guard status == 0 else { throw ScriptFailed(output: output) }
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: [String: [Any]]] ?? [:]
        return json.mapValues { $0.mapValues { $0.map { $0 is NSNull ? nil : $0 } } }
    }

    /// The script failed; its output says why.
    struct ScriptFailed: Error {
        /// What it printed.
        let output: String
    }

    /// The script (argument: the folder).
    static let script = #"""
# Writes the Arrow IPC inputs of ArrowInputTests with pyarrow, and beside
# each the values Larder must read from it (expected.json): ints, floats,
# bools, strings, and times in microseconds since the epoch, UTC.
import json
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

out = sys.argv[1]
n = 10


def holes(values):
    return [None if i % 3 == 1 else v for i, v in enumerate(values)]


columns = {
    "i8": (pa.int8(), holes([(-1) ** i * 12 * i for i in range(n)])),
    "i16": (pa.int16(), holes([i * 3000 - 15000 for i in range(n)])),
    "i32": (pa.int32(), holes([i * 200_000_000 - 900_000_000 for i in range(n)])),
    "i64": (pa.int64(), holes([2 ** 62 - i for i in range(n)])),
    "u8": (pa.uint8(), holes([255 - i for i in range(n)])),
    "u16": (pa.uint16(), holes([65535 - i for i in range(n)])),
    "u32": (pa.uint32(), holes([2 ** 32 - 1 - i for i in range(n)])),
    "f32": (pa.float32(), holes([i * 0.25 - 1 for i in range(n)])),
    "f64": (pa.float64(), holes([i / 3 for i in range(n)])),
    "b": (pa.bool_(), holes([i % 2 == 0 for i in range(n)])),
    "s": (pa.string(), holes(["é" * i + "漢字 ü" for i in range(n)])),
    "ls": (pa.large_string(), holes(["" if i == 0 else "x" * i for i in range(n)])),
    "ts_s": (pa.timestamp("s"), holes([1_767_225_600 + 3600 * i for i in range(n)])),
    "ts_ms": (pa.timestamp("ms", tz="Europe/Paris"), holes([1_767_225_600_123 + i for i in range(n)])),
    "ts_us": (pa.timestamp("us", tz="UTC"), holes([1_767_225_600_000_001 + i for i in range(n)])),
    "ts_ns": (pa.timestamp("ns"), holes([-1_500 if i == 0 else 1_767_225_600_123_456_789 + i for i in range(n)])),
    "d32": (pa.date32(), holes([20_454 + i for i in range(n)])),
}
expected_us = {
    "ts_s": lambda v: v * 1_000_000,
    "ts_ms": lambda v: v * 1_000,
    "ts_us": lambda v: v,
    "ts_ns": lambda v: v // 1_000,
    "d32": lambda v: v * 86_400_000_000,
}
arrays = {name: pa.array(values, type) for name, (type, values) in columns.items()}
arrays["cat"] = pa.array(holes(["rouge", "vert", "bleu", "vert", "rouge"] * 2)).dictionary_encode()
table = pa.table(arrays)


def expected(rows):
    values = {}
    for name, (type, column) in columns.items():
        convert = expected_us.get(name, lambda v: v)
        values[name] = [None if v is None else convert(v) for v in column[rows]]
    values["cat"] = arrays["cat"].to_pylist()[rows]
    return values


cases = {}


def case(name, write, rows):
    with open(f"{out}/{name}", "wb") as f:
        write(f)
    cases[name] = expected(rows)


def stream(t, **options):
    def write(f):
        with ipc.new_stream(f, t.schema, options=ipc.IpcWriteOptions(**options)) as w:
            for batch in t.to_batches(max_chunksize=3):
                w.write_batch(batch)
    return write


def file(t):
    def write(f):
        with ipc.new_file(f, t.schema) as w:
            for batch in t.to_batches(max_chunksize=4):
                w.write_batch(batch)
    return write


case("batches.arrows", stream(table), slice(0, n))
case("legacy.arrows", stream(table, use_legacy_format=True), slice(0, n))
case("file.arrow", file(table), slice(0, n))
case("slice.arrows", stream(table.slice(2, 5)), slice(2, 7))
case("slice.arrow", file(table.slice(3, 6)), slice(3, 9))
case("empty.arrows", stream(table.slice(0, 0)), slice(0, 0))
case("empty.arrow", file(table.slice(0, 0)), slice(0, 0))

# Dictionaries that change between batches: a delta, then a replacement.
schema = pa.schema([("cat", pa.dictionary(pa.int8(), pa.string()))])
batches = [
    pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 1, None], pa.int8()), pa.array(["a", "b"]))], schema=schema),
    pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([2, 0], pa.int8()), pa.array(["a", "b", "c"]))], schema=schema),
    pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 0], pa.int8()), pa.array(["z"]))], schema=schema),
]
with open(f"{out}/dictionaries.arrows", "wb") as f:
    with ipc.new_stream(f, schema, options=ipc.IpcWriteOptions(emit_dictionary_deltas=True)) as w:
        for batch in batches:
            w.write_batch(batch)
cases["dictionaries.arrows"] = {"cat": ["a", "b", None, "c", "a", "z", "z"]}

# A pandas DataFrame with a categorical column, as pyarrow converts it.
frame = pd.DataFrame({"city": pd.Categorical(["lyon", "paris", None, "lyon"]), "n": [1, 2, 3, 4]})
with open(f"{out}/pandas.arrows", "wb") as f:
    t = pa.Table.from_pandas(frame, preserve_index=False)
    with ipc.new_stream(f, t.schema) as w:
        w.write_table(t)
cases["pandas.arrows"] = {"city": ["lyon", "paris", None, "lyon"], "n": [1, 2, 3, 4]}

# Compressed bodies are refused.
with open(f"{out}/compressed.arrows", "wb") as f:
    with ipc.new_stream(f, table.schema, options=ipc.IpcWriteOptions(compression="zstd")) as w:
        w.write_table(table)

# A type Larder does not read.
with open(f"{out}/list.arrows", "wb") as f:
    t = pa.table({"l": pa.array([[1, 2], [3]])})
    with ipc.new_stream(f, t.schema) as w:
        w.write_table(t)

json.dump(cases, open(f"{out}/expected.json", "w"))
"""#
}
