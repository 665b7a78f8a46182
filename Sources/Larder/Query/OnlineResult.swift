/// The answer of an online retrieval: for each requested feature, one value,
/// one status and one event time per entity, in entity order (the shape of
/// `POST /v1/online-features`).
public struct OnlineResult: Sendable {
    /// The feature names, `feature` or `view__feature`, in request order.
    public let featureNames: [String]
    /// One column per feature, one row per entity; null unless the status is
    /// ``FeatureStatus/present``.
    public let values: [Column]
    /// `statuses[f][e]`: the status of feature `f` for entity `e`.
    public let statuses: [[FeatureStatus]]
    /// `eventTimestamps[f][e]`: the event time of the row that answers
    /// feature `f` for entity `e`, `nil` when no row does.
    public let eventTimestamps: [[Timestamp?]]

    /// The number of entities.
    public var entityCount: Int { values.first?.count ?? 0 }
}

extension OnlineResult {
    /// The event time Feast's feature server gives join keys and missing
    /// rows, the epoch, as a JSON string.
    static let noEventTime: StaticString = #""1970-01-01T00:00:00Z""#

    /// The answer in the JSON shape of semantics §8 (Feast's feature
    /// server): `{"metadata": {"feature_names": [keys…, features…]},
    /// "results": [{"values": […], "statuses": […], "event_timestamps": […]}, …]}`,
    /// one result per column — the join keys of `entities` first (status
    /// `PRESENT`), then each feature — with entity order kept. Event times
    /// are RFC 3339 strings; a join key's, and a feature's without a row,
    /// are the epoch (`1970-01-01T00:00:00Z`), as Feast's are.
    public func json(entities: FeatureFrame) -> String {
        var out: [UInt8] = []
        writeJSON(entities: entities, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the bytes of ``json(entities:)`` to `out`, written straight
    /// from the columns, a column at a time (no intermediate JSON tree or
    /// string per value): what a server sends.
    ///
    /// - Complexity: O(e · (k + f)) for e entities, k join keys, f features.
    public func writeJSON(entities: FeatureFrame, into out: inout [UInt8]) {
        let rows = entityCount
        out.reserveCapacity(out.count + 64 + (entities.columns.count + values.count) * (70 + rows * 48))
        /// Appends `[` … `]` with `element(row)` for each row, comma-separated.
        func list(_ element: (Int, inout [UInt8]) -> Void) {
            out.append(UInt8(ascii: "["))
            for row in 0..<rows {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                element(row, &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        var present = "\"\(FeatureStatus.present.rawValue)\"" // a join key's status
        TextFormatting.appendASCII(#"{"metadata":{"feature_names":["#, to: &out)
        for (i, name) in (entities.names + featureNames).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.appendQuoted(name, to: &out)
        }
        TextFormatting.appendASCII(#"]},"results":["#, to: &out)
        for (c, column) in entities.columns.enumerated() {
            if c > 0 { out.append(UInt8(ascii: ",")) }
            TextFormatting.appendASCII(#"{"event_timestamps":"#, to: &out)
            list { _, out in TextFormatting.appendASCII(OnlineResult.noEventTime, to: &out) }
            TextFormatting.appendASCII(#","statuses":"#, to: &out)
            list { _, out in present.withUTF8 { out.append(contentsOf: $0) } }
            TextFormatting.appendASCII(#","values":"#, to: &out)
            OnlineResult.appendValues(of: column, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        for f in values.indices {
            if f > 0 || !entities.columns.isEmpty { out.append(UInt8(ascii: ",")) }
            TextFormatting.appendASCII(#"{"event_timestamps":"#, to: &out)
            eventTimestamps[f].withUnsafeBufferPointer { times in
                list { row, out in
                    guard let time = times[row] else { return TextFormatting.appendASCII(OnlineResult.noEventTime, to: &out) }
                    out.append(UInt8(ascii: "\""))
                    Timestamp.write(time.microseconds, into: &out)
                    out.append(UInt8(ascii: "\""))
                }
            }
            TextFormatting.appendASCII(#","statuses":"#, to: &out)
            statuses[f].withUnsafeBufferPointer { statuses in
                list { row, out in
                    out.append(UInt8(ascii: "\""))
                    var name = statuses[row].rawValue
                    name.withUTF8 { out.append(contentsOf: $0) }
                    out.append(UInt8(ascii: "\""))
                }
            }
            TextFormatting.appendASCII(#","values":"#, to: &out)
            OnlineResult.appendValues(of: values[f], to: &out)
            out.append(UInt8(ascii: "}"))
        }
        TextFormatting.appendASCII("]}", to: &out)
    }

    /// Appends `column`'s values as a JSON array: numbers, strings,
    /// booleans, timestamps as RFC 3339 strings, bytes as base64 strings,
    /// vectors as arrays of numbers in `Float`'s shortest form, non-finite
    /// numbers (a `float64` or a vector's element) as the strings `NaN`,
    /// `Infinity`, `-Infinity`, and `null` for a null: as JSON Lines output
    /// spells them, so that what serving reads is what training read.
    static func appendValues(of column: Column, to out: inout [UInt8]) {
        /// Appends `[` … `]`, `null` for an invalid row, `value(row)` for a valid one.
        func cells(_ value: (Int, inout [UInt8]) -> Void) {
            out.append(UInt8(ascii: "["))
            for row in 0..<column.count {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                if column.validity[row] { value(row, &out) } else { TextFormatting.appendASCII("null", to: &out) }
            }
            out.append(UInt8(ascii: "]"))
        }
        switch column.type {
        case .int64:
            column.ints.withUnsafeBufferPointer { ints in cells { row, out in TextFormatting.appendInteger(ints[row], to: &out) } }
        case .float64:
            column.doubles.withUnsafeBufferPointer { doubles in
                cells { row, out in
                    let value = doubles[row]
                    if value.isFinite {
                        TextFormatting.appendFinite(value, to: &out)
                    } else {
                        JSONValue.appendNonFinite(isNaN: value.isNaN, isNegative: value < 0, to: &out)
                    }
                }
            }
        case .bool:
            column.bools.withUnsafeBufferPointer { bools in
                cells { row, out in TextFormatting.appendASCII(bools[row] ? "true" : "false", to: &out) }
            }
        case .timestamp:
            column.ints.withUnsafeBufferPointer { ints in
                cells { row, out in
                    out.append(UInt8(ascii: "\""))
                    Timestamp.write(ints[row], into: &out)
                    out.append(UInt8(ascii: "\""))
                }
            }
        case .string:
            column.bytes.withUnsafeBufferPointer { bytes in
                cells { row, out in
                    JSONValue.appendQuoted(UnsafeBufferPointer(rebasing: bytes[column.offsets[row]..<column.offsets[row + 1]]), to: &out)
                }
            }
        case .bytes:
            column.bytes.withUnsafeBufferPointer { bytes in
                cells { row, out in
                    out.append(UInt8(ascii: "\""))
                    TextFormatting.appendBase64(UnsafeBufferPointer(rebasing: bytes[column.offsets[row]..<column.offsets[row + 1]]), to: &out)
                    out.append(UInt8(ascii: "\""))
                }
            }
        case .vector(let dimension):
            column.floats.withUnsafeBufferPointer { floats in
                cells { row, out in
                    out.append(UInt8(ascii: "["))
                    for i in row * dimension..<(row + 1) * dimension {
                        if i > row * dimension { out.append(UInt8(ascii: ",")) }
                        let value = floats[i]
                        if value.isFinite {
                            TextFormatting.appendFinite(value, to: &out)
                        } else {
                            JSONValue.appendNonFinite(isNaN: value.isNaN, isNegative: value < 0, to: &out)
                        }
                    }
                    out.append(UInt8(ascii: "]"))
                }
            }
        }
    }
}
