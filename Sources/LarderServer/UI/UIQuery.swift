import Foundation
import Hummingbird
import Larder

/// A UI request's query parameters, checked: an over-long query or value,
/// a number out of range or a malformed run choice is a 400 naming it.
struct UIQuery: Sendable {
    /// The longest query string read.
    static let maxQueryLength = 4096
    /// The longest single value read.
    static let maxValueLength = 512

    private let values: [String: String]

    init(_ request: Request) throws(ServerError) {
        let raw = request.uri.query ?? ""
        guard raw.utf8.count <= UIQuery.maxQueryLength else {
            throw .badRequest("the query is \(raw.utf8.count) bytes long; at most \(UIQuery.maxQueryLength) are read")
        }
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            guard value.utf8.count <= UIQuery.maxValueLength else {
                throw .badRequest("the parameter \(String(key.prefix(40))) is \(value.utf8.count) bytes long; at most \(UIQuery.maxValueLength) are read")
            }
            values[String(key)] = String(value)
        }
        self.values = values
    }

    init(values: [String: String]) { self.values = values }

    /// The text of `key`, trimmed; `nil` when absent or empty.
    func string(_ key: String) -> String? {
        guard let value = values[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// The integer `key` within `range`; `nil` when absent.
    func int(_ key: String, in range: ClosedRange<Int>) throws(ServerError) -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .badRequest("\(key) \"\(text.prefix(40))\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The number `key`, finite and positive; `nil` when absent.
    func positive(_ key: String) throws(ServerError) -> Double? {
        guard let text = string(key) else { return nil }
        guard let value = Double(text), value.isFinite, value > 0 else { throw .badRequest("\(key) \"\(text.prefix(40))\" is not a positive number") }
        return value
    }

    /// The runs `key` chooses: `all`, a run id, ids separated by commas,
    /// `FROM..TO` or `last:DURATION` (as `larder stats` and `larder drift` read them).
    func runs(_ key: String) throws(ServerError) -> RunSelection? {
        guard let text = string(key) else { return nil }
        return try UIQuery.runSelection(text, parameter: key)
    }

    static func runSelection(_ text: String, parameter: String) throws(ServerError) -> RunSelection {
        if text == "all" { return .all }
        if text.contains(",") {
            let ids = text.split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty, ids.count <= 1000, ids.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw .badRequest("\(parameter) \"\(text.prefix(60))\" is not a list of run ids")
            }
            return .runs(ids.compactMap { $0 })
        }
        do {
            return try RunSelection(parsing: text)
        } catch {
            throw .badRequest("\(parameter): \(error.message)")
        }
    }
}
