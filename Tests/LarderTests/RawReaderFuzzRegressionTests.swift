import Foundation
import Testing
@testable import Larder

/// Inputs that the fuzz targets in Fuzz/ found, fed through the same readers.
extension RawReaderTests {
    /// What reading CSV `bytes` gives: its output, or the one problem thrown.
    enum CSVOutcome: Equatable {
        case read(Output)
        case refused(ValidationProblem)
    }

    /// Reads CSV `bytes` in chunks of `chunkSize` bytes with a field limit of
    /// `maxFieldBytes`.
    func csvOutcome(_ bytes: [UInt8], chunkSize: Int, maxFieldBytes: Int) throws -> CSVOutcome {
        do {
            return .read(try readCSV(bytes: bytes, chunkSize: chunkSize, maxFieldBytes: maxFieldBytes))
        } catch let error as LarderError where error.category == .invalidInput && error.totalProblems == 1 {
            return .refused(try #require(error.problems.first))
        }
    }

    /// Whether a field is too large must not depend on where the chunks the
    /// input is read in end. FuzzCSV found a malformed quoted field (`"u"`
    /// then text) refused as too large when read a byte at a time but as
    /// malformed when read at once; a field of exactly the limit before CRLF,
    /// or before its closing quote, was refused when a chunk ended there.
    @Test(arguments: [
        ("\r\n]\",\"u\"\r(0", "text after the closing quote"),
        ("a\r\nabcd\r\n", nil),
        ("a\n\"abcd\"\n", nil),
        ("a\n\"a\"\"b\"\r\n", nil),
        ("a\n\"ab\"cdefgh\n", "larger than 4 bytes"),
        ("a\n\"abcde", "larger than 4 bytes"),
        ("a\n\"abcd", "unterminated quoted field"),
    ] as [(String, String?)])
    func csvFieldLimitDoesNotDependOnChunks(text: String, refusal: String?) throws {
        let bytes = Array(text.utf8)
        let whole = try csvOutcome(bytes, chunkSize: ByteSource.defaultChunkSize, maxFieldBytes: 4)
        switch whole {
        case .read(let output): #expect(refusal == nil, "read \(output.rows)")
        case .refused(let problem): #expect(problem.reason.contains(refusal ?? "(no refusal)"), "\(problem)")
        }
        for chunkSize in 1 ... bytes.count {
            #expect(try csvOutcome(bytes, chunkSize: chunkSize, maxFieldBytes: 4) == whole, "chunk \(chunkSize)")
        }
    }

    /// The keys of the fuzz targets' view (Fuzz/LarderFuzz/FuzzView.swift).
    static let fuzzColumns = ["id", "name", "event_timestamp", "created_timestamp", "count", "code", "rate", "score",
                              "flag", "city", "note", "blob", "seen", "emb", "embn"]

    /// A value under an ignored key must still be valid JSON. FuzzJSONLines
    /// found lines taken as rows although an ignored value held an unknown
    /// escape (`\e`) or an unpaired surrogate (`\ud800`): both are refused
    /// under a key that is read, and Foundation refuses them anywhere. The
    /// fuzzer's inputs (base64) are read as it read them: ignoring unknown
    /// keys, keeping raw records, 8-byte chunks, one record per batch.
    @Test(arguments: [
        ("eyIiXGUgeCJ9Cnsibm90ZSI6ICJcdDAwIn0KeyJub3QiOiJcZSB4In0KeyJub3RlIjogIlx0IjogMXQ6DQrveA==",
         3, "malformed JSON: invalid escape in a string at byte 9 of the line"),
        ("eyJlbWIiOiAxfQp7a24ic2VlbiJvXQp7ImlkIgoidSLDCnsibm90ZXoiOiAiXHVkODAwIn0Ke2U6IG90Im4iAqMidWxpbmcKeyJ1bmtub3duIg==",
         5, "malformed JSON: unpaired surrogate \\uD800 at byte 12 of the line"),
    ])
    func jsonlIgnoredValueWithBadEscapeIsABadRecord(base64: String, line: Int, reason: String) throws {
        let bytes = try #require(Data(base64Encoded: base64))
        let output = try readJSONL(bytes: Array(bytes), columns: Self.fuzzColumns, ignoreUnknown: true,
                                   chunkSize: 8, maxRows: 1, keepRaw: true)
        #expect(!output.lines.contains(line))
        #expect(output.bad.first { $0.line == line }?.reason == reason)
    }

    /// Escapes under an ignored key are checked as under a read one.
    @Test func jsonlEscapesUnderIgnoredKeysAreChecked() throws {
        let output = try readJSONL([
            #"{"a": 1, "x": "\e"}"#,
            #"{"a": 2, "x": "\ud800"}"#,
            #"{"a": 3, "x": ["\udc00"]}"#,
            #"{"a": 4, "x": {"y": "\u12G4"}}"#,
            #"{"a": 5, "x": "\ud83d\ude00 \u00e9 \n \/"}"#,
            #"{"a": 6, "\u0078": "\t"}"#,
        ].joined(separator: "\n"), columns: ["a"], ignoreUnknown: true)
        #expect(output.rows == [["n:5"], ["n:6"]])
        #expect(output.bad.map(\.line) == [1, 2, 3, 4])
        #expect(output.bad.map(\.reason) == [
            "malformed JSON: invalid escape in a string at byte 16 of the line",
            "malformed JSON: unpaired surrogate \\uD800 at byte 16 of the line",
            "malformed JSON: unpaired surrogate \\uDC00 at byte 17 of the line",
            "malformed JSON: invalid escape in a string at byte 22 of the line",
        ])
    }
}
