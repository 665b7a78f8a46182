import Foundation
import Larder

/// A JSON value of a request body, decoded with Foundation's decoder (which
/// refuses invalid UTF-8 and nesting deeper than 512 levels), keeping
/// integers apart from other numbers.
enum RequestJSON: Decodable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([RequestJSON])
    case object([String: RequestJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Keys are mostly integers, then strings: try those first (each
        // failed attempt costs a thrown error).
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode([RequestJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: RequestJSON].self))
        }
    }

    /// Decodes `bytes` as one JSON value.
    ///
    /// - Throws: a 400 ``ServerError`` saying where the JSON is malformed.
    static func decode(_ bytes: [UInt8], what: String) throws(ServerError) -> RequestJSON {
        do {
            return try JSONDecoder().decode(RequestJSON.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) {
            throw .badRequest("\(what) is not valid JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)")
        } catch {
            throw .badRequest("\(what) is not valid JSON: \(error)")
        }
    }

    /// What the value is, for messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value as Larder's JSON (to hand a row on as JSON Lines).
    var value: JSONValue {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(Int(i))
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .array(let items): .array(items.map(\.value))
        case .object(let fields): .object(fields.mapValues(\.value))
        }
    }
}

extension RequestJSON {
    /// A JSON object of columns (Feast's `df` shape, `{"driver_id": [1001, …],
    /// "event_timestamp": […], "conv_rate": […]}`, or that object under
    /// `"df"`) as JSON Lines, one object per row, so that a push of columns
    /// goes through the same reader and validation as a backfill's JSON
    /// Lines (problem lines are then row numbers, from 1).
    ///
    /// - Throws: a 400 ``ServerError`` for anything but an object of arrays of
    ///   one length.
    static func columnsAsJSONLines(_ body: RequestJSON) throws(ServerError) -> [UInt8] {
        guard case .object(var fields) = body else { throw .badRequest("the body is \(body.kind), not an object of columns") }
        if case .object(let df)? = fields["df"] { fields = df }
        guard !fields.isEmpty else { throw .badRequest("the body has no columns") }
        var columns: [(name: String, values: [RequestJSON])] = []
        for (name, column) in fields.sorted(by: { $0.key < $1.key }) {
            guard case .array(let values) = column else { throw .badRequest("column \"\(name)\" is \(column.kind), not an array") }
            columns.append((name, values))
        }
        let rows = columns[0].values.count
        for column in columns where column.values.count != rows {
            throw .badRequest("column \"\(column.name)\" has \(column.values.count) values, but \"\(columns[0].name)\" has \(rows)")
        }
        guard rows > 0 else { throw .badRequest("the columns hold no rows") }
        var out: [UInt8] = []
        for row in 0..<rows {
            var object: [String: JSONValue] = [:]
            for column in columns { object[column.name] = column.values[row].value }
            out += JSONValue.object(object).rendered.utf8
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
