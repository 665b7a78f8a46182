import Foundation
@testable import Larder

/// Foundation's `JSONSerialization` as a second opinion on the JSON Lines
/// reader: a line the reader took as a row must be a JSON object to
/// Foundation too, with the same keys, nulls and strings; a line the reader
/// called malformed JSON must not be one (unless Foundation is lenient with
/// it: ``foundationIsLenient(with:)``).
enum JSONOracle {
    /// UTF-8's byte order mark.
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Checks each record of `transcript` (read with `columns`) against
    /// Foundation's reading of its line of `payload`.
    static func check(_ transcript: Transcript, payload: UnsafeRawBufferPointer, columns: [String]) {
        let lines = splitLines(payload)
        for record in transcript.records {
            switch record {
            case .row(let line, let cells, _):
                let object = try? JSONSerialization.jsonObject(with: lines[line - 1]) as? [String: Any]
                guard let object else { fatalError("invariant broken: line \(line) is a row but not a JSON object to Foundation") }
                for (column, cell) in zip(columns, cells) {
                    checkCell(cell, foundation: object[column], line: line, column: column)
                }
            case .bad(let bad):
                guard bad.problem.reason.hasPrefix("malformed JSON"), !bad.problem.reason.contains("nesting deeper") else {
                    continue
                }
                let line = lines[bad.line - 1]
                guard !foundationIsLenient(with: line) else { continue }
                let object = try? JSONSerialization.jsonObject(with: line)
                invariant(!(object is [String: Any]), "line \(bad.line) is a JSON object to Foundation: \(bad.problem.reason)")
            }
        }
    }

    /// Traps unless `cell` holds what Foundation read for its key: missing,
    /// null, or the same string.
    private static func checkCell(_ cell: Transcript.Cell, foundation value: Any?, line: Int, column: String) {
        switch (cell.kind, value) {
        case (.missing, nil), (.null, is NSNull):
            return
        case (.text, let string as String):
            invariant(Array(string.utf8) == cell.bytes, "line \(line), \(column): string \(cell.bytes) vs \(Array(string.utf8))")
        case (.number, .some), (.boolean, .some), (.array, is [Any]):
            return
        default:
            fatalError("invariant broken: line \(line), \(column): \(cell.kind) vs Foundation's \(value.map { "\($0)" } ?? "nothing")")
        }
    }

    /// Whether `line` is malformed JSON that Foundation may read anyway: it
    /// starts with a byte order mark, holds a NUL (Foundation then reads
    /// UTF-16 or UTF-32), or has a trailing comma.
    private static func foundationIsLenient(with line: Data) -> Bool {
        line.starts(with: byteOrderMark) || line.contains(0) || hasTrailingComma(line)
    }

    /// Whether `line` has a `,` followed by `}` or `]` (with whitespace
    /// between), perhaps inside a string.
    private static func hasTrailingComma(_ line: Data) -> Bool {
        var afterComma = false
        for byte in line {
            switch byte {
            case 0x2C: afterComma = true
            case 0x20, 0x09, 0x0D: continue
            case 0x5D, 0x7D: if afterComma { return true }
            default: afterComma = false
            }
        }
        return false
    }

    /// The payload's lines as the reader splits them: at LF, without a
    /// trailing CR, after a leading byte order mark.
    private static func splitLines(_ payload: UnsafeRawBufferPointer) -> [Data] {
        var bytes = payload[...]
        if bytes.starts(with: byteOrderMark) { bytes = bytes.dropFirst(3) }
        return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            Data(line.last == 0x0D ? line.dropLast() : line)
        }
    }
}
