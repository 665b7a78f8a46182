import Foundation
import LarderTestSupport
import Testing
@testable import Larder

/// Arrow IPC input (``ArrowIPCReader``): every type pyarrow writes that
/// Larder reads, in every layout; spines whose answers equal the CSV
/// spine's; Larder's own output read back; hostile input refused, never a crash.
@Suite struct ArrowInputTests {
    let dir = TemporaryDirectory()

    func read(_ path: String) throws(LarderError) -> ArrowIPCReader.ArrowColumns {
        try ArrowIPCReader.read(Array(FileManager.default.contents(atPath: path) ?? Data()), name: path)
    }

    @Test func readsEveryTypeInEveryLayout() throws {
        let expected = try ArrowInputFixtures.write(into: dir.path)
        #expect(expected.count == 9)
        for (file, columns) in expected.sorted(by: { $0.key < $1.key }) {
            let frame = try read(dir.file(file)).frame
            for (name, values) in columns {
                let column = try #require(frame[name], "\(file): no column \(name)")
                #expect(column.count == values.count, "\(file) \(name)")
                for (row, value) in values.enumerated() where row < column.count {
                    let got = column.value(row)
                    let want: FeatureValue = switch (column.type, value) {
                    case (_, nil): .null
                    case (.int64, let v as NSNumber): .int64(v.int64Value)
                    case (.float64, let v as NSNumber): .float64(v.doubleValue)
                    case (.bool, let v as NSNumber): .bool(v.boolValue)
                    case (.timestamp, let v as NSNumber): .timestamp(Timestamp(microseconds: v.int64Value))
                    case (.string, let v as String): .string(v)
                    default: .bytes([])
                    }
                    #expect(got == want, "\(file) \(name) row \(row)")
                }
            }
        }
        let types = Dictionary(uniqueKeysWithValues: try read(dir.file("batches.arrows")).frame.names.map { name in
            (name, try! read(dir.file("batches.arrows")).frame[name]!.type)
        })
        #expect(types == ["i8": .int64, "i16": .int64, "i32": .int64, "i64": .int64, "u8": .int64, "u16": .int64, "u32": .int64,
                          "f32": .float64, "f64": .float64, "b": .bool, "s": .string, "ls": .string, "ts_s": .timestamp,
                          "ts_ms": .timestamp, "ts_us": .timestamp, "ts_ns": .timestamp, "d32": .timestamp, "cat": .string])
    }

    @Test func dictionaryIndicesCannotExpandPastTheLimit() throws {
        let path = dir.file("bomb.arrows")
        let (status, output) = PyArrow.run([try PyArrow.interpreter(), "-c", """
            import sys, pyarrow as pa, pyarrow.ipc as ipc
            values = pa.array(["x" * 1_000_000])
            t = pa.table({"s": pa.DictionaryArray.from_arrays(pa.array([0] * 100_000, pa.int8()), values)})
            with ipc.new_stream(sys.argv[1], t.schema) as w: w.write_table(t)
            """, path])
        try #require(status == 0, "\(output)")
        do {
            _ = try read(path)
            Issue.record("10^11 bytes of strings were expanded")
        } catch {
            #expect(error.message.contains("expand past"), "\(error.message)")
        }
    }

    @Test func refusesCompressionAndUnreadTypesByName() throws {
        _ = try ArrowInputFixtures.write(into: dir.path)
        for (file, words) in [("compressed.arrows", ["message 2", "compressed", "compression=None"]),
                              ("list.arrows", ["message 1", "column 1 (\"l\")", "list"])] {
            do {
                _ = try read(dir.file(file))
                Issue.record("\(file) was read")
            } catch {
                for word in words { #expect(error.message.contains(word), "\(error.message)") }
            }
        }
    }

    // MARK: Spines

    func store() throws -> FeatureStore {
        let store = try FeatureStore(path: dir.file("s.db"))
        try store.apply(try Definitions.parse(yaml: """
            entities: [{name: driver, join_keys: [{name: driver_id, type: int64}]}]
            feature_views: [{name: stats, entity: driver, ttl: 0, features: [{name: rate, type: float64}, {name: city, type: string}]}]
            """, file: "defs.yaml"))
        let rows = dir.file("rows.csv")
        _ = FileManager.default.createFile(atPath: rows, contents: Data("""
            driver_id,event_timestamp,rate,city
            1,2026-11-26T10:00:00Z,0.5,lyon
            1,2026-11-26T12:00:00Z,0.25,paris
            2,2026-11-26T09:00:00Z,,köln

            """.utf8))
        _ = try store.backfill(view: "stats", input: .file(rows))
        return store
    }

    static let spineCSV = """
        driver_id,event_timestamp,label,weight
        1,2026-11-26T11:00:00.000000Z,1,0.5
        2,2026-11-26T11:00:00.000000Z,0,1.5
        1,2026-11-26T13:00:00.000000Z,,2.5
        3,2026-11-26T13:00:00.000000Z,1,

        """

    /// Writes `spineCSV` as Arrow with pandas and pyarrow, as a user would.
    func arrowSpine(_ name: String, stream: Bool) throws -> String {
        let csv = dir.file("spine.csv")
        _ = FileManager.default.createFile(atPath: csv, contents: Data(Self.spineCSV.utf8))
        let path = dir.file(name)
        let (status, output) = PyArrow.run([try PyArrow.interpreter(), "-c", """
            import sys, pandas as pd, pyarrow as pa, pyarrow.ipc as ipc
            df = pd.read_csv(sys.argv[1], dtype={"label": "Int64"})
            df["event_timestamp"] = pd.to_datetime(df["event_timestamp"], utc=True)
            t = pa.Table.from_pandas(df, preserve_index=False)
            with (ipc.new_stream if sys.argv[3] == "stream" else ipc.new_file)(sys.argv[2], t.schema) as w:
                w.write_table(t)
            """, csv, path, stream ? "stream" : "file"])
        try #require(status == 0, "\(output)")
        return path
    }

    func trainingSet(_ store: FeatureStore, spine: Source, format: OutputFormat = .csv) throws -> String {
        let out = dir.file("out-\(UUID().uuidString)")
        let request = TrainingSetRequest(rows: .spine(spine), features: [FeatureReference(view: "stats", feature: "rate"),
                                                                        FeatureReference(view: "stats", feature: "city")])
        try store.writeTrainingSet(request, format: format, to: .file(out))
        return out
    }

    @Test func anArrowSpineAnswersAsTheCSVSpineAndKeepsItsTypes() throws {
        let store = try store()
        let paths = try [("spine.arrows", true), ("spine.arrow", false), ("spine-no-extension", true)].map { try arrowSpine($0, stream: $1) }
        let csvAnswer = try String(contentsOfFile: trainingSet(store, spine: .file(dir.file("spine.csv"))), encoding: .utf8)
        for path in paths {
            #expect(try String(contentsOfFile: trainingSet(store, spine: .file(path)), encoding: .utf8) == csvAnswer, "\(path)")
        }
        #expect(csvAnswer.contains("1,2026-11-26T11:00:00.000000Z,1,0.5,0.5,lyon\n"))
        let spine = try SpineReader.read(.file(dir.file("spine.arrows")), joinKeys: [JoinKey(name: "driver_id", type: .int64)]).frame
        #expect(spine.columns.map(\.type) == [.int64, .timestamp, .int64, .float64])
        #expect(spine["label"]?.value(2) == .null && spine["weight"]?.value(3) == .null)
    }

    @Test func larderArrowOutputReadsBackAsASpine() throws {
        let store = try store()
        let keys = [JoinKey(name: "driver_id", type: .int64)]
        for format in [OutputFormat.arrow] {
            let out = try trainingSet(store, spine: .file(arrowSpine("spine.arrows", stream: true)), format: format)
            let back = try SpineReader.read(.file(out), joinKeys: keys).frame
            let direct = try store.historicalFeatures(spine: SpineReader.read(.file(dir.file("spine.arrows")), joinKeys: keys).frame,
                                                      features: [FeatureReference(view: "stats", feature: "rate"),
                                                                 FeatureReference(view: "stats", feature: "city")])
            #expect(back.names == ["driver_id", "event_timestamp", "label", "weight", "rate", "city"])
            #expect(back.names == direct.names)
            for (a, b) in zip(back.columns, direct.columns) {
                #expect(a.type == b.type)
                #expect((0..<a.count).map { a.value($0) } == (0..<b.count).map { b.value($0) })
            }
        }
    }

    @Test func spineProblemsAreNamedAsForCSV() throws {
        let keys = [JoinKey(name: "driver_id", type: .string)]
        let path = try arrowSpine("spine.arrows", stream: true)
        do {
            _ = try SpineReader.read(.file(path), joinKeys: keys)
            Issue.record("an int64 column was read as a string key")
        } catch {
            #expect(error.problems.map(\.reason) == ["the join key is string, but the Arrow column is int64"])
        }
        let naive = dir.file("naive.arrows")
        let (status, output) = PyArrow.run([try PyArrow.interpreter(), "-c", """
            import sys, pyarrow as pa, pyarrow.ipc as ipc
            t = pa.table({"driver_id": [1, 2], "event_timestamp": pa.array([0, None], pa.timestamp("ms"))})
            with ipc.new_stream(sys.argv[1], t.schema) as w: w.write_table(t)
            """, naive])
        try #require(status == 0, "\(output)")
        do {
            _ = try SpineReader.read(.file(naive), joinKeys: [JoinKey(name: "driver_id", type: .int64)])
            Issue.record("naive times and a null time were accepted")
        } catch {
            #expect(error.problems.map(\.description) == [
                "\(naive):2: column event_timestamp: value \"\": event time is empty",
                "\(naive):1: column event_timestamp: value \"\": the Arrow timestamps have no time zone; pass --assume-utc (assume_utc=true) to read them as UTC",
            ])
        }
        var options = IngestOptions()
        options.assumeUTC = true
        #expect(throws: LarderError.self) { try SpineReader.read(.file(naive), joinKeys: [JoinKey(name: "driver_id", type: .int64)], options: options) }
    }

    // MARK: Pushes and backfills

    @Test func arrowBackfillsThroughTheSameValidation() throws {
        let store = try store()
        let path = dir.file("rows.arrows")
        let (status, output) = PyArrow.run([try PyArrow.interpreter(), "-c", """
            import sys, pyarrow as pa, pyarrow.ipc as ipc
            t = pa.table({"driver_id": pa.array([7, 8], pa.int32()),
                          "event_timestamp": pa.array([1764151200000000, 1764151200000000], pa.timestamp("us", tz="UTC")),
                          "rate": pa.array([1, None], pa.int64()), "city": pa.array(["nîmes", "x"]).dictionary_encode()})
            with ipc.new_stream(sys.argv[1], t.schema) as w: w.write_table(t)
            """, path])
        try #require(status == 0, "\(output)")
        let result = try store.backfill(view: "stats", input: .file(path))
        #expect(result.rowsWritten == 2)
        let frame = try store.historicalFeatures(at: Timestamp(microseconds: 1_764_151_200_000_001),
                                                 features: [FeatureReference(view: "stats", feature: "rate"),
                                                            FeatureReference(view: "stats", feature: "city")])
        let row = try #require((0..<frame.rowCount).first { frame["driver_id"]?.value($0) == .int64(7) })
        #expect(frame["rate"]?.value(row) == .float64(1) && frame["city"]?.value(row) == .string("nîmes"))
        #expect(try store.rowCount(view: "stats") == 5)
    }

    // MARK: Hostile input

    /// A valid stream and file of every Larder type, made by Larder's writer.
    func validInputs() throws -> [[UInt8]] {
        var city = Column(type: .string)
        var rate = Column(type: .float64)
        var ids = Column(type: .int64)
        var times = Column(type: .timestamp)
        var flags = Column(type: .bool)
        for row in 0..<40 {
            ids.append(Int64(row))
            times.append(Int64(row) * 1_000_000)
            if row % 5 == 0 { city.appendNull(); rate.appendNull(); flags.appendNull() } else {
                city.append("ville \(row) é")
                rate.append(Double(row) / 7)
                flags.append(row % 2 == 0)
            }
        }
        let frame = FeatureFrame(names: ["driver_id", "event_timestamp", "city", "rate", "flag"], columns: [ids, times, city, rate, flags])
        var inputs: [[UInt8]] = []
        for container in [ArrowWriter.Container.stream, .file] {
            let path = dir.file("valid-\(inputs.count)")
            var writer = ArrowWriter(schema: ExportSchema(names: frame.names, types: frame.columns.map(\.type)),
                                     sink: try ByteSink.open(.file(path)), container: container, batchRows: 16)
            try writer.write(frame, rows: 0..<frame.rowCount)
            try writer.finish()
            inputs.append(Array(FileManager.default.contents(atPath: path) ?? Data()))
        }
        return inputs
    }

    @Test func truncatedAndCorruptedInputIsAnErrorNeverACrash() throws {
        var outcomes = (read: 0, refused: 0)
        _ = try ArrowInputFixtures.write(into: dir.path)
        // pyarrow's: dictionaries (a delta, a replacement), a sliced file of every type.
        let pyarrow = ["dictionaries.arrows", "slice.arrow"].map { Array(FileManager.default.contents(atPath: dir.file($0)) ?? Data()) }
        for (i, valid) in try (validInputs() + pyarrow).enumerated() {
            #expect(try ArrowIPCReader.read(valid, name: "valid").frame.rowCount == [40, 40, 7, 6][i])
            for length in 0..<valid.count {
                do {
                    let table = try ArrowIPCReader.read(Array(valid[..<length]), name: "cut")
                    // A stream cut between messages is a shorter stream; a cut file never reads.
                    #expect(i % 2 == 0 && table.frame.rowCount <= 40, "cut at \(length)")
                    outcomes.read += 1
                } catch {
                    #expect(error.message.hasPrefix("Arrow IPC cut"), "\(error.message)")
                    outcomes.refused += 1
                }
            }
            var random = SplitMix64(seed: UInt64(i))
            for offset in 0..<valid.count {
                for value: UInt8 in [0x00, 0xFF, 0x7F, 0x80, UInt8(truncatingIfNeeded: random.next())] where value != valid[offset] {
                    var bad = valid
                    bad[offset] = value
                    do {
                        _ = try ArrowIPCReader.read(bad, name: "bad")
                        outcomes.read += 1
                    } catch {
                        outcomes.refused += 1
                    }
                }
            }
        }
        #expect(outcomes.refused > 1_000)
    }
}
