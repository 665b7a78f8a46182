import Testing
@testable import Larder

/// Library writes, on both engines (``TestEngine``).
@Suite struct WriteTests {
    let dir = TemporaryDirectory()

    func store(_ engine: TestEngine) throws -> FeatureStore {
        let s = try engine.open(try engine.newStore(in: dir, file: "w.db"))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        return s
    }

    @Test(arguments: TestEngine.all)
    func rowsAreWrittenAsOneRun(engine: TestEngine) throws {
        let s = try store(engine)
        let result = try s.write(view: "driver_stats", rows: [
            ["driver_id": .int64(1), "event_timestamp": .timestamp(10), "conv_rate": .float64(0.5), "acc_rate": .null,
             "avg_daily_trips": .int64(3), "city": .string("oslo")],
            ["driver_id": .int64(2), "event_timestamp": .timestamp(20), "conv_rate": .null, "acc_rate": .float64(0.25),
             "avg_daily_trips": .int64(4), "city": .null],
        ])
        #expect(result.rowsWritten == 2 && result.runID == 1)
        #expect(try s.rowCount(view: "driver_stats") == 2)
        #expect(try s.runs(view: "driver_stats").map(\.rows) == [2])
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v1 WHERE conv_rate IS NULL AND driver_id = 2") == 1)
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v1 WHERE created_timestamp > 0 AND __run_id = 1") == 2)
    }

    /// Every type, nulls included, is stored as written: read back from the
    /// view's table (not the cache the write hands its rows to), for rows
    /// written one a statement (the first, streamed) and many a statement
    /// (the sorted rest of the run).
    @Test(arguments: TestEngine.all)
    func everyTypeIsStoredAsWritten(engine: TestEngine) throws {
        let s = try engine.open(try engine.newStore(in: dir, file: "types.db"))
        try s.apply(try Definitions.parse(yaml: everyTypeDefinitions(), file: "defs.yaml"))
        let types: [FeatureType] = [.int64, .float64, .bool, .string, .bytes, .timestamp, .vector(dimension: 3)]
        let count = 300
        var columns = [Column(type: .int64), Column(type: .timestamp)] + types.map { Column(type: $0) }
        for row in 0..<count {
            let v = Int64(row) * 7919 - 1_000_000
            let values: [FeatureValue] = [
                .int64(Int64((row * 37) % count)), .timestamp(Timestamp(microseconds: Int64(row) + 1)),
                .int64(v), .float64(Double(v) / 3), .bool(row % 3 == 0), .string("s\(row)" + String(repeating: "é", count: row % 5)),
                .bytes((0..<(row % 4)).map { UInt8(truncatingIfNeeded: row + $0) }), .timestamp(Timestamp(microseconds: v)),
                .vector([Float(row), -Float(row) / 2, 0.25]),
            ]
            for (c, value) in values.enumerated() { try columns[c].append(row % 11 == 5 && c >= 2 ? .null : value) }
        }
        var options = IngestOptions()
        options.streamedRows = 100
        try s.write(view: "typed", frame: FeatureFrame(names: ["id", "event_timestamp", "i", "f", "b", "s", "raw", "t", "e"], columns: columns),
                    options: options)
        var stored: [Int64: [FeatureValue]] = [:]
        try s.withReader { state in
            let view = try state.registry.view("typed", version: nil)
            try state.session.scan(view, from: nil, to: nil, asOf: nil, batchRows: 64) { batch in
                for row in 0..<batch[0].count { stored[batch[0].ints[row]] = batch[4...].map { $0.value(row) } }
                return true
            }
        }
        #expect(stored.count == count)
        for row in 0..<count {
            let key = columns[0].ints[row]
            #expect(stored[key] == columns[2...].map { $0.value(row) }, "row \(row), key \(key)")
        }
    }

    @Test(arguments: TestEngine.all)
    func writesAreValidatedLikeBackfills(engine: TestEngine) throws {
        let s = try store(engine)
        #expect {
            try s.write(view: "driver_stats", rows: [
                ["driver_id": .int64(1), "event_timestamp": .timestamp(10), "conv_rate": .float64(1.5), "acc_rate": .null,
                 "avg_daily_trips": .null, "city": .null],
            ])
        } throws: { error in
            // One problem per row: the first rule it breaks.
            guard let error = error as? LarderError, error.category == .invalidInput, error.totalProblems == 1 else { return false }
            return error.problems.map(\.description) == ["write:1: column conv_rate: value \"1.5\": above max 1"]
        }
        #expect(try s.rowCount(view: "driver_stats") == 0)
        #expect(try s.runs(view: "driver_stats").isEmpty)
    }

    @Test(arguments: TestEngine.all)
    func duplicateRowsInOneWriteAreRefused(engine: TestEngine) throws {
        let s = try store(engine)
        let row: [String: FeatureValue] = ["driver_id": .int64(1), "event_timestamp": .timestamp(10), "created_timestamp": .timestamp(5),
                                           "conv_rate": .null, "acc_rate": .null, "avg_daily_trips": .int64(1), "city": .null]
        #expect { try s.write(view: "driver_stats", rows: [row, row]) } throws: { "\($0)".contains("duplicate") }
        #expect(try s.rowCount(view: "driver_stats") == 0)
        // The same row in a second run is a new version of it, not a duplicate.
        try s.write(view: "driver_stats", rows: [row])
        try s.write(view: "driver_stats", rows: [row])
        #expect(try s.rowCount(view: "driver_stats") == 2)
    }

    @Test(arguments: TestEngine.all)
    func wrongColumnTypeIsAUsageError(engine: TestEngine) throws {
        let s = try store(engine)
        var ids = Column(type: .string)
        ids.append("x")
        var times = Column(type: .timestamp)
        times.append(Int64(1))
        #expect {
            var options = IngestOptions()
            options.allowMissingFeatures = true
            try s.write(view: "driver_stats", frame: FeatureFrame(names: ["driver_id", "event_timestamp"], columns: [ids, times]), options: options)
        } throws: { "\($0)".contains("driver_id") }
    }

    @Test(arguments: TestEngine.all)
    func skipIfUnchangedDetectsIdenticalContent(engine: TestEngine) throws {
        let s = try store(engine)
        var options = IngestOptions()
        options.skipIfUnchanged = true
        let rows: [[String: FeatureValue]] = [["driver_id": .int64(1), "event_timestamp": .timestamp(10), "created_timestamp": .timestamp(5),
                                               "conv_rate": .null, "acc_rate": .null, "avg_daily_trips": .int64(1), "city": .null]]
        #expect(try s.write(view: "driver_stats", rows: rows, options: options).runID == 1)
        #expect(try s.write(view: "driver_stats", rows: rows, options: options).skippedUnchanged)
        #expect(try s.runs(view: "driver_stats").count == 1)
    }

    @Test(arguments: TestEngine.all)
    func nanIsKeptWhereAllowed(engine: TestEngine) throws {
        let s = try engine.open(try engine.newStore(in: dir, file: "nan.db"))
        try s.apply(try Definitions.parse(yaml: """
            entities: [{name: e, join_keys: [{name: id, type: string}]}]
            feature_views:
              - name: v
                entity: e
                features: [{name: x, type: float64, expect: {allow_nan: true}}, {name: y, type: float64}]
            """, file: "d.yaml"))
        try s.write(view: "v", rows: [["id": .string("a"), "event_timestamp": .timestamp(1), "x": .float64(.nan), "y": .float64(1)]])
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_v_v1 WHERE x = 'NaN'") == 1)
        #expect { try s.write(view: "v", rows: [["id": .string("a"), "event_timestamp": .timestamp(2), "x": .float64(1), "y": .float64(.nan)]]) }
            throws: { "\($0)".contains("NaN is not allowed") }
    }
}
