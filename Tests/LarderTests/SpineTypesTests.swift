import Testing
@testable import Larder

/// CSV spine columns other than the keys and the event time are typed: by
/// inference when the text is already Larder's way of writing the type, or
/// as `spineTypes` asks.
@Suite struct SpineTypesTests {
    let dir = TemporaryDirectory()
    let keys = [JoinKey(name: "driver_id", type: .int64)]

    func read(_ csv: String, types: [String: FeatureType] = [:]) throws(LarderError) -> FeatureFrame {
        let path = try! dir.write("spine.csv", csv)
        var options = IngestOptions()
        options.spineTypes = types
        return try SpineReader.read(.file(path), joinKeys: keys, options: options).frame
    }

    @Test func columnsWrittenAsLarderWritesATypeGetThatType() throws {
        let frame = try read("""
            driver_id,event_timestamp,label,weight,clicked,seen,note,padded,mixed,loud
            1,2026-01-02T00:00:00Z,1,0.5,true,2026-01-01T00:00:00.000000Z,a,007,1,TRUE
            2,2026-01-02T00:00:00Z,,1.0,false,,,1,0.5,false
            3,2026-01-02T00:00:00Z,-3,-0.0,,2026-01-01T00:00:00.000001Z,"",2,2,true

            """)
        let types = Dictionary(uniqueKeysWithValues: zip(frame.names, frame.columns.map(\.type)))
        #expect(types == ["driver_id": .int64, "event_timestamp": .timestamp, "label": .int64, "weight": .float64,
                          "clicked": .bool, "seen": .timestamp, "note": .string, "padded": .string, "mixed": .string,
                          "loud": .string])
        let label = try #require(frame["label"])
        #expect(label.value(0) == .int64(1) && label.value(1) == .null && label.value(2) == .int64(-3))
        #expect(frame["weight"]?.value(2) == .float64(-0.0) && frame["clicked"]?.value(2) == .null)
        #expect(frame["seen"]?.value(2) == .timestamp(Timestamp(microseconds: 1_767_225_600_000_001)))
        #expect(frame["note"]?.value(1) == .null && frame["note"]?.value(2) == .string(""))
    }

    @Test func aColumnWithoutValuesStaysText() throws {
        let frame = try read("driver_id,event_timestamp,label,empty\n1,2026-01-02T00:00:00Z,,\n")
        #expect(frame["label"]?.type == .string && frame["empty"]?.type == .string)
        #expect(try read("driver_id,event_timestamp,label\n")["label"]?.type == .string)
    }

    @Test func askedTypesParseEveryValueOrNameTheLine() throws {
        let csv = "driver_id,event_timestamp,mixed,padded\n1,2026-01-02T00:00:00Z,1,007\n2,2026-01-02T00:00:00Z,0.5,x\n"
        let frame = try read(csv, types: ["mixed": .float64, "padded": .string])
        #expect(frame["mixed"]?.type == .float64 && frame["mixed"]?.value(0) == .float64(1))
        #expect(frame["padded"]?.type == .string)
        #expect(throws: LarderError.self) { try read(csv, types: ["padded": .int64]) }
        do {
            _ = try read(csv, types: ["padded": .int64])
        } catch {
            #expect(error.problems.map(\.description) == ["\(dir.file("spine.csv")):3: column padded: value \"x\": not a int64"])
            #expect(error.message == "spine rejected: 1 problem", "a read writes nothing: the message does not say it")
        }
        do {
            _ = try read("driver_id,event_timestamp\n\"1,2026-01-02T00:00:00Z\n")
            Issue.record("a spine with an unterminated quote was read")
        } catch {
            #expect(error.message == "spine rejected: 1 problem", "a broken record, refused by the CSV reader itself")
            #expect(error.problems.first?.reason.contains("closing quote") == true)
        }
        for (types, reason) in [(["nope": FeatureType.bool], "does not have"), (["driver_id": .string], "its own type"),
                                (["mixed": .bytes], "not bytes")] {
            do {
                _ = try read(csv, types: types)
                Issue.record("\(types) was accepted")
            } catch {
                #expect(error.problems.first?.reason.contains(reason) == true, "\(error)")
            }
        }
    }
}
