import Foundation
import Testing

/// A view with every feature type and no expectations, so every value may be null.
let everyTypeDefinitions = """
    entities:
      - name: rider
        join_keys: [{name: rider_id, type: int64}]
    feature_views:
      - name: profile
        entity: rider
        ttl: 0
        features:
          - {name: trips, type: int64}
          - {name: score, type: float64, expect: {allow_nan: true}}
          - {name: active, type: bool}
          - {name: name, type: string}
          - {name: avatar, type: bytes}
          - {name: joined, type: timestamp}
          - {name: emb, type: "vector<float32, 3>"}

    """

/// Reads Larder's Arrow output (file and stream) with pyarrow and compares it,
/// value by value, with Larder's CSV output of the same training set.
let arrowCheckScript = #"""
import base64, datetime, json, math, struct, sys
import pyarrow as pa, pyarrow.feather as feather, pyarrow.ipc as ipc

csv_path, file_path, stream_path, expected_batches = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def read_csv(path):
    # RFC 4180 by hand, keeping quoted-empty ("" = empty string) apart from empty (null).
    text = open(path, encoding="utf-8").read()
    rows, row, field, quoted, i = [], [], [], False, 0
    in_quotes = False
    while i < len(text):
        c = text[i]
        if in_quotes:
            if c == '"' and i + 1 < len(text) and text[i + 1] == '"': field.append('"'); i += 1
            elif c == '"': in_quotes = False
            else: field.append(c)
        elif c == '"': in_quotes, quoted = True, True
        elif c == ',': row.append(("".join(field), quoted)); field, quoted = [], False
        elif c == '\n': row.append(("".join(field), quoted)); rows.append(row); row, field, quoted = [], [], False
        else: field.append(c)
        i += 1
    return rows[0], rows[1:]

expected_types = {
    "rider_id": pa.int64(), "event_timestamp": pa.timestamp("us", tz="UTC"), "tag": pa.string(),
    "trips": pa.int64(), "score": pa.float64(), "active": pa.bool_(), "name": pa.string(), "avatar": pa.binary(),
    "joined": pa.timestamp("us", tz="UTC"), "emb": pa.list_(pa.field("item", pa.float32()), 3),
}

def same(value, text, quoted, arrow_type):
    if text == "" and not quoted:
        return value is None
    if value is None:
        return False
    if pa.types.is_int64(arrow_type): return value == int(text)
    if pa.types.is_float64(arrow_type):
        x = float(text)
        return (math.isnan(x) and math.isnan(value)) or struct.pack("<d", x) == struct.pack("<d", value)
    if pa.types.is_boolean(arrow_type): return value == (text == "true")
    if pa.types.is_string(arrow_type): return value == text
    if pa.types.is_binary(arrow_type): return value == base64.b64decode(text)
    if pa.types.is_timestamp(arrow_type):
        parsed = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        return value == parsed
    if pa.types.is_fixed_size_list(arrow_type):
        return [struct.unpack("<f", struct.pack("<f", v))[0] for v in json.loads(text)] == value
    raise AssertionError(f"unexpected type {arrow_type}")

header, rows = read_csv(csv_path)
names = [name for name, _ in header]
for label, table in [("file", feather.read_table(file_path)), ("stream", ipc.open_stream(open(stream_path, "rb")).read_all())]:
    assert table.column_names == names, (label, table.column_names, names)
    for field in table.schema:
        assert field.type == expected_types[field.name], (label, field.name, field.type)
        assert field.nullable, (label, field.name)
    assert table.num_rows == len(rows), (label, table.num_rows, len(rows))
    columns = [table.column(i).to_pylist() for i in range(len(names))]
    for r, row in enumerate(rows):
        assert len(row) == len(names), (r, row)
        for c, (text, quoted) in enumerate(row):
            assert same(columns[c][r], text, quoted, table.schema.field(c).type), (label, r, names[c], columns[c][r], text, quoted)
    nulls = {name: table.column(name).null_count for name in names}
    if table.num_rows:
        for name in ["trips", "score", "active", "name", "avatar", "joined", "emb"]:
            assert nulls[name] > 0, (label, name, "has no nulls")
batches = ipc.open_file(file_path).num_record_batches
assert batches == expected_batches, ("batches", batches, expected_batches)
print("ok", len(rows), "rows", batches, "batches")
"""#

@Suite struct ArrowCLITests {
    let dir = TemporaryDirectory()

    /// A store with every type: 50 riders with rows that have nulls in every
    /// column, empty strings, non-ASCII text, NaN and vectors.
    func store() throws -> String {
        let store = dir.file("arrow.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", everyTypeDefinitions), "--store", store]).status == 0)
        var lines: [String] = []
        for id in 0..<50 {
            for day in 0..<3 {
                let k = id * 3 + day
                func maybe(_ value: String) -> String { k % 7 == day ? "null" : value }
                let name = ["\"\"", "\"Zoë ✓ 東京\"", "\"plain, with comma\"", "\"quote \\\" and\\nnewline\""][k % 4]
                lines.append("""
                    {"rider_id": \(id), "event_timestamp": "2026-11-0\(day + 1)T10:00:00Z", \
                    "trips": \(maybe(String(k * 1000 - 7))), "score": \(maybe(k % 5 == 0 ? "NaN" : String(Double(k) / 8))), \
                    "active": \(maybe(k % 2 == 0 ? "true" : "false")), "name": \(maybe(name)), \
                    "avatar": \(maybe("\"" + Data([UInt8(k), 0, 255, UInt8(day)]).base64EncodedString() + "\"")), \
                    "joined": \(maybe("\"1999-12-31T23:59:59.12345\(day)Z\"")), "emb": \(maybe("[\(k), -0.5, 1e-3]"))}
                    """.replacingOccurrences(of: "\"score\": NaN", with: "\"score\": \"NaN\""))
            }
        }
        let input = try dir.write("rows.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try CLI.run(["backfill", "profile", "--input", input, "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        return store
    }

    /// Writes a spine of `rows` rows (some for unknown riders, some before the data).
    func spine(rows: Int) throws -> String {
        var text = "rider_id,event_timestamp,tag\n"
        for r in 0..<rows {
            text += "\(r % 60),2026-11-0\(1 + r % 4)T1\(r % 3):00:00Z,row \(r)\n"
        }
        return try dir.write("spine-\(rows).csv", text)
    }

    @Test(arguments: [70_000, 0])
    func pyarrowReadsTheTrainingSetExactlyAsTheCSV(rows: Int) throws {
        let python = try PyArrow.interpreter()
        let store = try store()
        let spine = try spine(rows: rows)
        let common = ["historical", "--spine", spine, "--features", "profile:*", "--store", store]
        #expect(try CLI.run(common + ["--format", "csv", "--output", dir.file("out.csv")]).status == 0)
        let file = try CLI.run(common + ["--format", "arrow", "--output", dir.file("out.arrow")])
        #expect(file.status == 0, "\(file.stderr)")
        // The stream format on stdout, captured as bytes.
        let process = CLI.start(common + ["--format", "arrow", "--output", "-"])
        _ = FileManager.default.createFile(atPath: dir.file("out.stream"), contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: dir.file("out.stream"))
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", arrowCheckScript, dir.file("out.csv"), dir.file("out.arrow"), dir.file("out.stream"),
                           String((rows + 65_535) / 65_536)]
        let out = Pipe(), err = Pipe()
        check.standardOutput = out
        check.standardError = err
        try check.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "pyarrow check failed:\n\(stderr)")
        #expect(stdout.hasPrefix("ok \(rows) rows"), "\(stdout)")
    }

    /// What `larder export` writes, `larder backfill` reads back exactly: an
    /// export of every type (nulls, empty and non-ASCII strings, NaN, bytes,
    /// vectors, timestamps before 1970) re-ingested into a fresh store exports
    /// to the same bytes, in CSV and in JSON Lines.
    @Test(arguments: ["csv", "jsonl"])
    func exportsRoundTripThroughBackfill(format: String) throws {
        let original = try store()
        let first = dir.file("first.\(format)")
        #expect(try CLI.run(["export", "profile", "--format", format, "--output", first, "--store", original]).status == 0)
        let copy = dir.file("copy-\(format).db")
        #expect(try CLI.run(["apply", dir.file("defs.yaml"), "--store", copy]).status == 0)
        let ingest = try CLI.run(["backfill", "profile", "--input", first, "--ignore-unknown-columns", "--store", copy])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let second = dir.file("second.\(format)")
        #expect(try CLI.run(["export", "profile", "--format", format, "--output", second, "--store", copy]).status == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: first)), b = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(a.count > 10_000)
        #expect(a == b, "re-exported \(format) differs")
    }
}
