import CLarder
import Larder

/// Releases a stream moved in to a call that did not get to read it.
func release(_ stream: UnsafeMutablePointer<ArrowArrayStream>?) {
    guard let stream, let release = stream.pointee.release else { return }
    release(stream)
}

/// The place for a stream a call hands out.
func outStream(_ out: UnsafeMutablePointer<ArrowArrayStream>?) throws(LarderError) -> UnsafeMutablePointer<ArrowArrayStream> {
    guard let out else { throw .invalidInput("no place for the result (a NULL ArrowArrayStream)") }
    return out
}

/// The requested references and the join key types of their views.
private func request(_ store: FeatureStore, _ features: UnsafePointer<CChar>?,
                     _ featureSet: UnsafePointer<CChar>?) throws(LarderError) -> (refs: [FeatureReference], keys: [String: FeatureType]) {
    let refs = try store.featureReferences(text(features), featureSet: text(featureSet))
    var keys: [String: FeatureType] = [:]
    for feature in try store.registry.resolve(refs) {
        for key in feature.view.joinKeys { keys[key.name] = key.type.featureType }
    }
    return (refs, keys)
}

/// Historical retrieval over an Arrow spine stream (larder.h).
@_cdecl("larder_historical")
public func larderHistorical(_ store: OpaquePointer?, _ spine: UnsafeMutablePointer<ArrowArrayStream>?,
                      _ features: UnsafePointer<CChar>?, _ featureSet: UnsafePointer<CChar>?, _ asOf: UnsafePointer<Int64>?,
                      _ fullNames: Int32, _ flags: Int32, _ out: UnsafeMutablePointer<ArrowArrayStream>?) -> Int32 {
    defer { release(spine) }
    return call { () throws(LarderError) in
        let out = try outStream(out)
        let store = try StoreHandle.from(store)
        let (refs, keys) = try request(store, features, featureSet)
        let (names, frame) = try ArrowImport(assumeUTC: flags & LARDER_ASSUME_UTC != 0).read(spine, what: "spine") { name in
            if let type = keys[name] { return .type(type) }
            return name == "event_timestamp" ? .natural : .skip
        }
        guard names.contains("event_timestamp") else {
            throw .invalidInput("the spine has no event_timestamp column; it has \(names.joined(separator: ", "))")
        }
        let result = try store.historicalFeatures(spine: frame, features: refs, asOf: time(asOf), fullNames: fullNames != 0)
        let featureNames = Array(result.names.dropFirst(frame.names.count))
        for name in featureNames where names.contains(name) {
            throw .invalidInput("the feature \"\(name)\" has the name of a spine column" + (name.contains("__") ? "" : "; use full names (view__feature)"))
        }
        ExportedColumns(names: featureNames, values: result.columns.dropFirst(frame.names.count).map { .column($0) },
                        rows: result.rowCount).exportStream(into: out)
    }
}

/// Entity-less retrieval (larder.h).
@_cdecl("larder_features_at")
public func larderFeaturesAt(_ store: OpaquePointer?, _ at: Int64, _ features: UnsafePointer<CChar>?,
                      _ featureSet: UnsafePointer<CChar>?, _ asOf: UnsafePointer<Int64>?, _ fullNames: Int32,
                      _ out: UnsafeMutablePointer<ArrowArrayStream>?) -> Int32 {
    call { () throws(LarderError) in
        let out = try outStream(out)
        let store = try StoreHandle.from(store)
        let refs = try store.featureReferences(text(features), featureSet: text(featureSet))
        let result = try store.historicalFeatures(at: Timestamp(microseconds: at), features: refs, asOf: time(asOf),
                                                  fullNames: fullNames != 0)
        ExportedColumns(result).exportStream(into: out)
    }
}

/// Online retrieval over an Arrow entities stream (larder.h).
@_cdecl("larder_online")
public func larderOnline(_ store: OpaquePointer?, _ features: UnsafePointer<CChar>?, _ featureSet: UnsafePointer<CChar>?,
                  _ fullNames: Int32, _ entities: UnsafeMutablePointer<ArrowArrayStream>?,
                  _ outValues: UnsafeMutablePointer<ArrowArrayStream>?,
                  _ outStatuses: UnsafeMutablePointer<ArrowArrayStream>?) -> Int32 {
    online(store, features, featureSet, fullNames, entities, outValues, outStatuses, eventTimes: nil)
}

/// Online retrieval over an Arrow entities stream, with the answering rows'
/// event times (larder.h).
@_cdecl("larder_online_with_event_times")
public func larderOnlineWithEventTimes(_ store: OpaquePointer?, _ features: UnsafePointer<CChar>?,
                                       _ featureSet: UnsafePointer<CChar>?, _ fullNames: Int32,
                                       _ entities: UnsafeMutablePointer<ArrowArrayStream>?,
                                       _ outValues: UnsafeMutablePointer<ArrowArrayStream>?,
                                       _ outStatuses: UnsafeMutablePointer<ArrowArrayStream>?,
                                       _ outEventTimes: UnsafeMutablePointer<ArrowArrayStream>?) -> Int32 {
    online(store, features, featureSet, fullNames, entities, outValues, outStatuses, eventTimes: outEventTimes)
}

/// The online retrieval of `larder_online` (`eventTimes` `nil`) and of
/// `larder_online_with_event_times` (`eventTimes` the caller's place for
/// the event times, which must not be NULL).
private func online(_ store: OpaquePointer?, _ features: UnsafePointer<CChar>?, _ featureSet: UnsafePointer<CChar>?,
                    _ fullNames: Int32, _ entities: UnsafeMutablePointer<ArrowArrayStream>?,
                    _ outValues: UnsafeMutablePointer<ArrowArrayStream>?,
                    _ outStatuses: UnsafeMutablePointer<ArrowArrayStream>?,
                    eventTimes: UnsafeMutablePointer<ArrowArrayStream>??) -> Int32 {
    defer { release(entities) }
    return call { () throws(LarderError) in
        let outValues = try outStream(outValues), outStatuses = try outStream(outStatuses)
        let outEventTimes = try eventTimes.map { (place) throws(LarderError) in try outStream(place) }
        let store = try StoreHandle.from(store)
        let (refs, keys) = try request(store, features, featureSet)
        let (_, frame) = try ArrowImport().read(entities, what: "entities") { name in
            keys[name].map { .type($0) } ?? .natural
        }
        let result = try store.onlineFeatures(entities: frame, features: refs, fullNames: fullNames != 0)
        let rows = result.entityCount
        ExportedColumns(names: result.featureNames, values: result.values.map { .column($0) }, rows: rows).exportStream(into: outValues)
        let codes: [ExportedColumns.Values] = result.statuses.map { statuses in .int8(statuses.map(statusCode)) }
        ExportedColumns(names: result.featureNames, values: codes, rows: rows).exportStream(into: outStatuses)
        if let outEventTimes {
            let times: [ExportedColumns.Values] = result.eventTimestamps.map { times in
                var column = Column(type: .timestamp, capacity: times.count)
                for time in times {
                    if let time { column.append(time.microseconds) } else { column.appendNull() }
                }
                return .column(column)
            }
            ExportedColumns(names: result.featureNames, values: times, rows: rows).exportStream(into: outEventTimes)
        }
    }
}

/// A status as larder.h numbers it.
func statusCode(_ status: FeatureStatus) -> Int8 {
    switch status {
    case .present: Int8(LARDER_PRESENT)
    case .nullValue: Int8(LARDER_NULL_VALUE)
    case .notFound: Int8(LARDER_NOT_FOUND_KEY)
    case .outsideMaxAge: Int8(LARDER_OUTSIDE_MAX_AGE)
    }
}

/// Exports a view to an Arrow IPC file (larder.h).
@_cdecl("larder_export")
public func larderExport(_ store: OpaquePointer?, _ view: UnsafePointer<CChar>?, _ number: Int64, _ from: UnsafePointer<Int64>?,
                  _ to: UnsafePointer<Int64>?, _ asOf: UnsafePointer<Int64>?, _ path: UnsafePointer<CChar>?,
                  _ outRows: UnsafeMutablePointer<Int64>?) -> Int32 {
    call { () throws(LarderError) in
        let rows = try StoreHandle.from(store).export(view: required(view, "view"), version: version(number),
                                                      range: ExportRange(from: time(from), to: time(to), asOf: time(asOf)),
                                                      format: .arrow, to: .file(required(path, "path")))
        outRows?.pointee = Int64(rows)
    }
}
