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
    /// rows: the epoch.
    static let noEventTime = "1970-01-01T00:00:00Z"

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
    /// from the columns (no intermediate JSON tree): what a server sends.
    ///
    /// - Complexity: O(e · (k + f)) for e entities, k join keys, f features.
    public func writeJSON(entities: FeatureFrame, into out: inout [UInt8]) {
        let rows = entityCount
        out.reserveCapacity(out.count + 64 + (entities.columns.count + values.count) * (70 + rows * 48))
        func list(_ count: Int, _ element: (Int, inout [UInt8]) -> Void) {
            out.append(UInt8(ascii: "["))
            for i in 0..<count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element(i, &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        func raw(_ text: StaticString, _ out: inout [UInt8]) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func value(_ column: Column, _ row: Int, _ out: inout [UInt8]) {
            switch column.type {
            case .int64 where column.isValid(row): out.append(contentsOf: String(column.ints[row]).utf8)
            default: out.append(contentsOf: JSONValue(column, row: row).rendered.utf8)
            }
        }
        let present = "\"\(FeatureStatus.present.rawValue)\""
        raw(#"{"metadata":{"feature_names":"#, &out)
        let names = entities.names + featureNames
        list(names.count) { i, out in JSONValue.appendQuoted(names[i], to: &out) }
        raw(#"},"results":["#, &out)
        for (c, column) in entities.columns.enumerated() {
            if c > 0 { out.append(UInt8(ascii: ",")) }
            raw(#"{"event_timestamps":"#, &out)
            list(rows) { _, out in JSONValue.appendQuoted(OnlineResult.noEventTime, to: &out) }
            raw(#","statuses":"#, &out)
            list(rows) { _, out in out.append(contentsOf: present.utf8) }
            raw(#","values":"#, &out)
            list(rows) { row, out in value(column, row, &out) }
            out.append(UInt8(ascii: "}"))
        }
        for f in values.indices {
            if f > 0 || !entities.columns.isEmpty { out.append(UInt8(ascii: ",")) }
            raw(#"{"event_timestamps":"#, &out)
            list(rows) { row, out in
                if let time = eventTimestamps[f][row] { JSONValue.appendQuoted(time.description, to: &out) } else { JSONValue.appendQuoted(OnlineResult.noEventTime, to: &out) }
            }
            raw(#","statuses":"#, &out)
            list(rows) { row, out in
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: statuses[f][row].rawValue.utf8)
                out.append(UInt8(ascii: "\""))
            }
            raw(#","values":"#, &out)
            list(rows) { row, out in value(values[f], row, &out) }
            out.append(UInt8(ascii: "}"))
        }
        raw("]}", &out)
    }
}
