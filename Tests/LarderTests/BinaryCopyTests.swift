import Foundation
import LarderTestSupport
import NIOCore
import PostgresNIO
import Testing
@testable import Larder
@testable import LarderPostgres

/// PostgreSQL's run writer sends each batch as one binary `COPY … FROM
/// STDIN` (``CopyRows``, ``PostgresConnection/copyBinary(into:columns:data:logger:)``):
/// every type round-trips, postgres-nio still lets the statement ask for
/// the binary format, a duplicate of an earlier batch is reported and the
/// batch written again without it, and a failed or killed `COPY` leaves
/// nothing. PostgreSQL only; the behaviour both engines share is tested on
/// both elsewhere (`SortedBackfillTests`, `WriteTests`).
@Suite(.enabled(if: !TestPostgres.skipped, "PostgreSQL is not tested here"), .timeLimit(.minutes(2)))
struct BinaryCopyTests {
    let dir = TemporaryDirectory()

    /// A view with a string key and one feature of every type.
    static let typedDefinitions = everyTypeDefinitions(key: "name", type: "string")

    /// Rows of the typed view: key, event time, created time, then the
    /// seven features; extremes, NULLs, non-ASCII and empty text, NaN and ±∞.
    static let typedRows: [(key: String, event: Int64, created: Int64, features: [FeatureValue])] = [
        ("a", 1, 2, [.int64(.min), .float64(.nan), .bool(true), .string("ß ∑ 日本 🥕"), .bytes([0, 255, 1, 10, 92]),
                     .timestamp(Timestamp(microseconds: .min)), .vector([1.5, -2, .greatestFiniteMagnitude])]),
        ("", -5, -6, [.int64(.max), .float64(-.greatestFiniteMagnitude), .bool(false), .string(""), .bytes([]),
                      .timestamp(Timestamp(microseconds: .max)), .vector([0, -0.0, .leastNonzeroMagnitude])]),
        ("ñ\t\"\\,\n", .max, .min, [.int64(-1), .float64(.infinity), .null, .string("tab\there, \"quoted\", \\N"), .null,
                                    .timestamp(Timestamp(microseconds: -1)), .null]),
        ("z", 0, 0, [.null, .null, .null, .null, .null, .null, .null]),
        ("zz", 7, 7, [.int64(0), .float64(-.infinity), .bool(true), .string("\u{7F}"), .bytes(Array(0...255)),
                      .timestamp(Timestamp(microseconds: 0)), .vector([.infinity, -.infinity, 3])]),
        ("zzz", 8, 8, [.int64(42), .float64(.leastNonzeroMagnitude), .bool(false), .string("x"), .bytes([7]),
                       .timestamp(Timestamp(microseconds: 1_764_806_400_000_000)), .vector([-1, 0.1, 1e-30])]),
    ]

    /// A new PostgreSQL store with `yaml` applied.
    func store(_ yaml: String = exampleDefinitions) throws -> (FeatureStore, String) {
        let url = try TestPostgres.newDatabase()
        let s = try FeatureStore.open(url)
        try s.apply(try Definitions.parse(yaml: yaml, file: "defs.yaml"))
        return (s, url)
    }

    /// `rows` as a batch of `view` (in key order, as the pipeline hands them over).
    static func batch(_ view: FeatureView, _ rows: ArraySlice<(key: String, event: Int64, created: Int64, features: [FeatureValue])>) -> WriteBatch {
        var batch = WriteBatch(view: view)
        for (position, row) in rows.enumerated() {
            batch.keys[0].append(row.key)
            batch.eventTimes.append(row.event)
            batch.createdTimes.append(row.created)
            batch.lines.append(position + 2)
            for (f, value) in row.features.enumerated() {
                switch value {
                case .null: batch.features[f].appendNull()
                case .int64(let v): batch.features[f].append(v)
                case .float64(let v): batch.features[f].append(v)
                case .bool(let v): batch.features[f].append(v)
                case .string(let v): batch.features[f].append(v)
                case .bytes(let v): v.withUnsafeBytes { batch.features[f].append(bytes: $0) }
                case .timestamp(let v): batch.features[f].append(v)
                case .vector(let v): batch.features[f].append(vector: v)
                }
            }
        }
        return batch
    }

    /// Every row of `view`'s table in key order, read back with SQL, each
    /// value as text that tells NaN, −0.0 and every double apart (their bits).
    static func stored(_ s: FeatureStore, _ view: String) throws -> [[String]] {
        try s.withState { state in
            let view = try state.registry.view(view, version: nil)
            let link = (state.session as! PostgresSession).link
            let columns = ViewTable.columns(view).map(Identifier.quoted).joined(separator: ", ")
            let answer = try link.query("SELECT \(columns) FROM \(Identifier.quoted(view.tableName)) ORDER BY 1, 2, 3")
            let types: [FeatureType] = view.joinKeys.map(\.type.featureType) + [.int64, .int64, .int64] + view.features.map(\.type)
            return answer.rows.map { row in
                let cursor = PostgresCursor(row)
                return types.enumerated().map { index, type in
                    var column = Column(type: type)
                    column.append(from: cursor, at: Int32(index))
                    return text(column.value(0))
                }
            }
        }
    }

    /// `value` as text, doubles and floats by their bits, text and bytes whole.
    static func text(_ value: FeatureValue) -> String {
        switch value {
        case .float64(let v): "f\(v.bitPattern)"
        case .vector(let v): "v\(v.map(\.bitPattern))"
        case .string(let v): "s" + v
        case .bytes(let v): "b\(v)"
        default: "\(value)"
        }
    }

    /// What ``stored(_:_:)`` reads back for `rows` written by run `runID`.
    static func expected(_ rows: [(key: String, event: Int64, created: Int64, features: [FeatureValue])], runID: Int64) -> [[String]] {
        rows.map { [text(.string($0.key)), "\($0.event)", "\($0.created)", "\(runID)"] + $0.features.map(text) }
    }

    /// Every type, NULLs and extremes written through the run writer in
    /// batches of two, pipelined or not, come back as they went in.
    @Test(arguments: [false, true])
    func everyTypeRoundTrips(pipelined: Bool) throws {
        let (s, _) = try store(Self.typedDefinitions)
        let rows = Self.typedRows.sorted { ($0.key.utf8.lexicographicallyPrecedes($1.key.utf8)) }
        let runID = try s.withState { state in
            let view = try state.registry.view("typed", version: nil)
            return try state.session.writingRun { () throws -> TransactionEnd<Int64> in
                let writer = try state.session.beginRun(of: view, source: "typed", startedAt: 0, pipelined: pipelined) as! PostgresRunWriter
                var log = ProblemLog()
                for start in stride(from: 0, to: rows.count, by: 2) {
                    log.startBatch(rows: 2)
                    try writer.write(Self.batch(view, rows[start..<start + 2]), log: &log, file: "typed")
                }
                try writer.settle(log: &log, file: "typed")
                #expect(log.total == 0)
                try writer.finish(contentSHA256: "", rejected: 0)
                return .commit(writer.runID)
            }
        }
        #expect(try Self.stored(s, "typed") == Self.expected(rows, runID: runID))
    }

    /// `copyBinary` reaches a binary `COPY`: the data (a tuple whose text
    /// form would not parse, into a table and a column whose names hold a
    /// `"`) is read as binary, so a postgres-nio that quoted the table
    /// argument itself or sent its own `FORMAT text` fails here.
    @Test func theCopyIsBinaryWhateverTheNames() throws {
        let url = try TestPostgres.newDatabase()
        try TestPostgres.psql(URLComponents(string: url)!, #"CREATE TABLE "we""ird" ("a""b" bigint, c text)"#)
        let link = try PostgresLink(address: try PostgresAddress(parsing: url), loop: PostgresStorage.group.next())
        var data = ByteBuffer(bytes: CopyRows.signature)
        data.writeMultipleIntegers(Int32(0), Int32(0), Int16(2), Int32(8), Int64(-2), Int32(3))
        data.writeString("x\ty")
        data.writeInteger(Int16(-1))
        let sent = data
        try PostgresLink.answer(of: link.run { try await $0.copyBinary(into: #"we"ird"#, columns: [#"a"b"#, "c"], data: sent, logger: PostgresLink.logger) })
        let row = try #require(try link.query(#"SELECT "a""b", c FROM "we""ird""#).rows.first)
        #expect(PostgresCursor(row).int64(0) == -2 && PostgresCursor(row).text(1) == "x\ty")
    }

    /// In skip mode, a row that repeats one of an earlier batch (key "b",
    /// with other values) is reported with its line, and its batch written
    /// again without it: the table holds each other row once, the first
    /// "b" with its own values.
    @Test func aDuplicateOfAnEarlierBatchIsReportedAndTheRestOfItsBatchWritten() throws {
        let (s, _) = try store()
        let text = """
            driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city
            1,2026-11-20T10:00:00Z,0.1,0.5,1,a
            2,2026-11-20T10:00:00Z,0.2,0.5,2,b
            2,2026-11-20T10:00:00Z,0.3,0.6,3,ü
            3,2026-11-20T10:00:00Z,0.4,,4,

            """
        var options = IngestOptions()
        options.batchRows = 2
        options.onError = .skip
        options.rejectFile = .file(dir.file("rejects.jsonl"))
        let result = try s.backfill(view: "driver_stats", input: .memory(name: "dup.csv", bytes: Array(text.utf8)), options: options)
        #expect(result.rowsWritten == 3 && result.rowsRejected == 1)
        let rejects = try String(contentsOfFile: dir.file("rejects.jsonl"), encoding: .utf8)
        #expect(rejects.split(separator: "\n").count == 1 && rejects.contains("\"line\":4") && rejects.contains("duplicate"))
        let stored = try Self.stored(s, "driver_stats")
        #expect(stored.map { [$0[0], $0[7]] } == [["1", "sa"], ["2", "sb"], ["3", "null"]])
    }

    /// In stop mode the same duplicate refuses the run: reported, nothing kept.
    @Test func aDuplicateOfAnEarlierBatchKeepsNothingInStopMode() throws {
        let (s, _) = try store()
        let text = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
            + "1,2026-11-20T10:00:00Z,0.1,0.5,1,a\n2,2026-11-20T10:00:00Z,0.2,0.5,2,b\n"
            + "2,2026-11-20T10:00:00Z,0.3,0.6,3,c\n3,2026-11-20T10:00:00Z,0.4,0.5,4,d\n"
        var options = IngestOptions()
        options.batchRows = 2
        #expect {
            try s.backfill(view: "driver_stats", input: .memory(name: "dup.csv", bytes: Array(text.utf8)), options: options)
        } throws: { error in
            guard let problems = (error as? LarderError)?.problems.map(\.description), problems.count == 1 else { return false }
            return problems[0].hasPrefix("dup.csv:4: column driver_id: value \"2\": duplicate (key, event_timestamp, created_timestamp) = (2, ")
        }
        #expect(try s.rowCount(view: "driver_stats") == 0)
        #expect(try s.runs(view: "driver_stats").isEmpty)
    }

    /// A `COPY` the server refuses for another reason than a duplicate (a
    /// check constraint added behind Larder's back, broken by the third
    /// batch) ends the run with the server's error, and nothing is kept.
    @Test func aFailedCopyLeavesNothing() throws {
        let (s, url) = try store()
        let table = try s.withState { try $0.registry.view("driver_stats", version: nil).tableName }
        try TestPostgres.psql(URLComponents(string: url)!, "ALTER TABLE \(Identifier.quoted(table)) ADD CONSTRAINT few_trips CHECK (avg_daily_trips < 5)")
        let text = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
            + (1...6).map { "\($0),2026-11-20T10:00:00Z,0.1,0.5,\($0),a\n" }.joined()
        var options = IngestOptions()
        options.batchRows = 2
        #expect {
            try s.backfill(view: "driver_stats", input: .memory(name: "checked.csv", bytes: Array(text.utf8)), options: options)
        } throws: { error in
            guard let error = error as? LarderError else { return false }
            return error.category == .storage && "\(error)".contains("few_trips") && "\(error)".contains("23514")
        }
        #expect(try s.rowCount(view: "driver_stats") == 0)
        #expect(try s.runs(view: "driver_stats").isEmpty)
    }

    /// A `COPY` whose server process dies halfway (a trigger that
    /// terminates its own backend on the fifth row) ends the run with an
    /// error, never a hang, and nothing is kept: seen from a new connection.
    @Test func aKilledCopyLeavesNothing() throws {
        let (s, url) = try store()
        let table = try s.withState { try $0.registry.view("driver_stats", version: nil).tableName }
        try TestPostgres.psql(URLComponents(string: url)!, """
            CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.avg_daily_trips = 5 THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF; RETURN NEW; END $$;
            CREATE TRIGGER die BEFORE INSERT ON \(Identifier.quoted(table)) FOR EACH ROW EXECUTE FUNCTION die();
            """)
        let text = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
            + (1...6).map { "\($0),2026-11-20T10:00:00Z,0.1,0.5,\($0),a\n" }.joined()
        var options = IngestOptions()
        options.batchRows = 2
        #expect(throws: LarderError.self) {
            try s.backfill(view: "driver_stats", input: .memory(name: "killed.csv", bytes: Array(text.utf8)), options: options)
        }
        let fresh = try FeatureStore.open(url)
        #expect(try fresh.rowCount(view: "driver_stats") == 0)
        #expect(try fresh.runs(view: "driver_stats").isEmpty)
    }

    /// A string holding U+0000 (NUL), which PostgreSQL's `text` cannot
    /// store, is refused like an invalid value, with its line, column and
    /// value: in stop mode the run is refused and nothing kept.
    @Test func aStringWithNULIsRefusedWithItsLineInStopMode() throws {
        let (s, _) = try store()
        let text = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
            + "1,2026-11-20T10:00:00Z,0.1,0.5,1,a\n2,2026-11-20T10:00:00Z,0.2,0.5,2,b\u{0}c\n"
        #expect {
            try s.backfill(view: "driver_stats", input: .memory(name: "nul.csv", bytes: Array(text.utf8)))
        } throws: { error in
            (error as? LarderError)?.problems.map(\.description) == [
                "nul.csv:3: column city: value \"b\\0c\": PostgreSQL cannot store the character U+0000 (NUL) in text; use a bytes feature for binary data",
            ]
        }
        #expect(try s.rowCount(view: "driver_stats") == 0)
        #expect(try s.runs(view: "driver_stats").isEmpty)
    }

    /// In skip mode a NUL in a string key (line 3) or a string feature
    /// (line 4) rejects only its row; the others are written, and a NUL in
    /// a `bytes` feature is stored as any byte.
    @Test func aStringWithNULIsRejectedAloneInSkipMode() throws {
        let (s, _) = try store("""
            entities: [{name: thing, join_keys: [{name: name, type: string}]}]
            feature_views:
              - {name: labels, entity: thing, ttl: 0, features: [{name: label, type: string}, {name: raw, type: bytes}]}
            """)
        let text = "name,event_timestamp,label,raw\n"
            + "a,2026-11-20T10:00:00Z,x,\n" + "b\u{0},2026-11-20T10:00:00Z,y,\n"
            + "c,2026-11-20T10:00:00Z,z\u{0},\n" + "d,2026-11-20T10:00:00Z,w,AAE=\n"
        var options = IngestOptions()
        options.onError = .skip
        options.rejectFile = .file(dir.file("rejects.jsonl"))
        let result = try s.backfill(view: "labels", input: .memory(name: "nul.csv", bytes: Array(text.utf8)), options: options)
        #expect(result.rowsWritten == 2 && result.rowsRejected == 2)
        let rejects = try String(contentsOfFile: dir.file("rejects.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 2 && rejects.allSatisfy { $0.contains("U+0000") })
        #expect(rejects.first?.contains("\"line\":3") == true && rejects.last?.contains("\"line\":4") == true)
        #expect(try Self.stored(s, "labels").map { [$0[0], $0[4], $0[5]] } == [["sa", "sx", "null"], ["sd", "sw", "b[0, 1]"]])
    }

    /// A spilled run's sorted rest goes without a savepoint per batch: the
    /// rows of 40 drivers in batches of two, the first two batches
    /// streamed (each in its savepoint, a subtransaction of its own), the
    /// other 18 sorted, carry three transaction ids in all (`xmin`), not
    /// one per batch; every row is written.
    @Test func theSortedRestOfARunTakesNoSavepoints() throws {
        let (s, _) = try store()
        var options = IngestOptions()
        options.batchRows = 2
        options.streamedRows = 4
        options.sortPartRows = 8
        options.scratchParent = dir.path
        let text = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
            + (1...40).reversed().map { "\($0),2026-11-20T10:00:00Z,0.1,0.5,\($0),a\n" }.joined()
        let result = try s.backfill(view: "driver_stats", input: .memory(name: "sorted.csv", bytes: Array(text.utf8)), options: options)
        #expect(result.rowsWritten == 40)
        let transactions = try s.withState { state in
            let table = try state.registry.view("driver_stats", version: nil).tableName
            return try (state.session as! PostgresSession).link.queryInt("SELECT count(DISTINCT xmin::text) FROM \(Identifier.quoted(table))")
        }
        #expect(transactions == 3)
    }

    /// A transaction that fails while a task of the link (a batch's
    /// savepoint, `COPY` and release) is still sending its statements waits
    /// for the task before its `ROLLBACK`: otherwise the `ROLLBACK` would run
    /// between the task's statements, and the later ones would commit on
    /// their own, outside any transaction. Here the task's first statement
    /// takes 0.3 s, so an unwaited `ROLLBACK` is sent long before its second.
    @Test func aFailedTransactionWaitsForTheTaskInFlightBeforeItRollsBack() throws {
        let url = try TestPostgres.newDatabase()
        let link = try PostgresLink(address: try PostgresAddress(parsing: url), loop: PostgresStorage.group.next())
        try link.query("CREATE TABLE late_rows (x integer)")
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try link.transaction("BEGIN") { () throws -> TransactionEnd<Void> in
                _ = link.run { connection in
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_sleep(0.3)"), logger: PostgresLink.logger)
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO late_rows VALUES (1)"), logger: PostgresLink.logger)
                }
                throw Stop()
            }
        }
        usleep(300_000) // time for a statement sent after the ROLLBACK to have run
        #expect(try link.queryInt("SELECT COUNT(*) FROM late_rows") == 0, "a statement of the task committed outside the transaction")
    }

    /// An answer the connection will never give (postgres-nio drops a
    /// statement written to a channel that has just closed without failing
    /// it) is not waited for forever: once the connection is found closed
    /// and a second more has passed, the wait ends with an error that ends
    /// the connection, and the next statement connects again.
    @Test func anAnswerThatNeverComesOnAClosedConnectionEndsTheWait() throws {
        let url = try TestPostgres.newDatabase()
        let link = try PostgresLink(address: try PostgresAddress(parsing: url), loop: PostgresStorage.group.next())
        let pid = try link.queryInt("SELECT pg_backend_pid()")
        try TestPostgres.psql(URLComponents(string: url)!, "SELECT pg_terminate_backend(\(pid))")
        let never = PostgresStorage.group.next().makePromise(of: Int.self)
        defer { never.succeed(0) }
        let start = Date()
        var failure: LarderPostgres.PostgresError?
        do { _ = try link.wait(for: never.futureResult) } catch let error as LarderPostgres.PostgresError { failure = error }
        #expect(failure?.endsConnection == true && failure?.message.contains("no answer came") == true, "\(String(describing: failure))")
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(link.isLost)
        #expect(try link.queryInt("SELECT 7") == 7)
        #expect(try link.queryInt("SELECT pg_backend_pid()") != pid)
    }

    /// A connection whose server process was terminated (from another
    /// session) inside a transaction answers every later statement of that
    /// transaction with an error at once, never a wait: postgres-nio would
    /// drop a statement written to the closed connection without failing
    /// it, so the link sends none. The first error says what happened. The
    /// next statement, outside the transaction, goes on a new connection.
    @Test func aConnectionLostInATransactionRefusesItsLaterStatementsThenConnectsAgain() throws {
        let url = try TestPostgres.newDatabase()
        let link = try PostgresLink(address: try PostgresAddress(parsing: url), loop: PostgresStorage.group.next())
        let pid = try link.queryInt("SELECT pg_backend_pid()")
        var failed: [Bool] = [], lostAfterFirst = false, firstError = ""
        #expect(throws: (any Error).self) {
            try link.transaction("BEGIN") { () throws -> TransactionEnd<Void> in
                try TestPostgres.psql(URLComponents(string: url)!, "SELECT pg_terminate_backend(\(pid))")
                do { try link.query("SELECT 1") } catch { firstError = "\(error)" }
                lostAfterFirst = link.isLost
                failed.append((try? link.query("SELECT 2")) == nil)
                failed.append((try? PostgresLink.answer(of: link.send("SELECT 3"))) == nil)
                return .commit(())
            }
        }
        // The server's message when its FATAL error came first, Larder's when the closed connection did.
        #expect((firstError.contains("terminating connection") && firstError.contains("57P01")) || firstError.contains("connection to the server was lost"))
        #expect(failed == [true, true])
        #expect(lostAfterFirst)
        #expect(!link.isInTransaction)
        let again = try link.reading { try link.queryInt("SELECT pg_backend_pid()") }
        #expect(again != pid && again != 0)
        #expect(!link.isLost)
    }

    /// A store whose connections all ended between transactions (a server
    /// restart, a failover) connects again: its next reads and writes
    /// succeed without reopening the store, and see what was there.
    @Test func aStoreConnectsAgainAfterItsConnectionsWereLost() throws {
        let (s, url) = try store()
        func rows(_ ids: ClosedRange<Int>) -> Source {
            .memory(name: "rows.csv", bytes: Array(("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
                + ids.map { "\($0),2026-11-20T10:00:00Z,0.1,0.5,\($0),a\n" }.joined()).utf8))
        }
        _ = try s.backfill(view: "driver_stats", input: rows(1...3))
        #expect(try s.rowCount(view: "driver_stats") == 3)
        try TestPostgres.psql(URLComponents(string: url)!, """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        #expect(try s.rowCount(view: "driver_stats") == 3)
        _ = try s.backfill(view: "driver_stats", input: rows(4...6))
        #expect(try s.rowCount(view: "driver_stats") == 6)
        #expect(try s.runs(view: "driver_stats").count == 2)
    }
}
