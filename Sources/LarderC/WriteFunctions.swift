import CLarder
import Larder

/// An ingest result as the JSON larder.h describes.
private func json(_ result: IngestResult) -> String {
    JSONValue.object([
        "run_id": result.runID.map { .int(Int($0)) } ?? .null, "view": .string(result.view), "version": .int(result.version),
        "rows_written": .int(result.rowsWritten), "rows_rejected": .int(result.rowsRejected),
        "content_sha256": .string(result.contentSHA256), "skipped_unchanged": .bool(result.skippedUnchanged),
        "seconds": .double(result.seconds),
    ]).rendered
}

/// The rows of an Arrow stream (released before returning) as a frame for
/// `target`: its columns read as the view's types, unknown columns skipped
/// when `options` ignore them.
func rowsFrame(_ rows: UnsafeMutablePointer<ArrowArrayStream>?, for target: FeatureView,
               options: IngestOptions) throws(LarderError) -> FeatureFrame {
    var types: [String: FeatureType] = [options.eventTimeColumn: .timestamp, options.createdTimeColumn: .timestamp]
    for key in target.joinKeys { types[key.name] = key.type.featureType }
    for feature in target.features { types[feature.name] = feature.type }
    return try ArrowImport(assumeUTC: options.assumeUTC).read(rows, what: "rows") { column in
        types[column].map { .type($0) } ?? (options.ignoreUnknownColumns ? .skip : .natural)
    }.frame
}

/// The ingest options that `flags` (LARDER_ASSUME_UTC …) ask for.
func options(_ flags: Int32) -> IngestOptions {
    var options = IngestOptions()
    options.assumeUTC = flags & LARDER_ASSUME_UTC != 0
    options.allowMissingFeatures = flags & LARDER_ALLOW_MISSING_FEATURES != 0
    options.ignoreUnknownColumns = flags & LARDER_IGNORE_UNKNOWN_COLUMNS != 0
    options.skipIfUnchanged = flags & LARDER_SKIP_IF_UNCHANGED != 0
    return options
}

/// Writes an Arrow stream to a view as one run (larder.h).
@_cdecl("larder_write")
public func larderWrite(_ store: OpaquePointer?, _ view: UnsafePointer<CChar>?, _ number: Int64,
                 _ rows: UnsafeMutablePointer<ArrowArrayStream>?, _ flags: Int32,
                 _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    defer { release(rows) }
    return call { () throws(LarderError) in
        let store = try StoreHandle.from(store)
        let name = try required(view, "view")
        let target = try store.registry.view(name, version: version(number))
        let options = options(flags)
        let frame = try rowsFrame(rows, for: target, options: options)
        try handOut(json(store.write(view: name, version: version(number), frame: frame, options: options)), out)
    }
}

/// Backfills a view from a CSV or JSON Lines file (larder.h).
@_cdecl("larder_backfill")
public func larderBackfill(_ store: OpaquePointer?, _ view: UnsafePointer<CChar>?, _ number: Int64, _ path: UnsafePointer<CChar>?,
                    _ format: UnsafePointer<CChar>?, _ onError: UnsafePointer<CChar>?, _ rejectFile: UnsafePointer<CChar>?,
                    _ timeUnit: UnsafePointer<CChar>?, _ flags: Int32,
                    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in
        var options = options(flags)
        if let format = text(format) {
            guard let parsed = IngestOptions.Format(rawValue: format) else { throw .invalidInput("unknown format \"\(format)\" (csv, jsonl, json-columns or arrow)") }
            options.format = parsed
        }
        if let onError = text(onError) {
            guard let parsed = IngestOptions.OnError(rawValue: onError) else { throw .invalidInput("unknown on_error \"\(onError)\" (stop or skip)") }
            options.onError = parsed
        }
        if let unit = text(timeUnit) {
            guard let parsed = IngestOptions.TimeUnit(rawValue: unit) else { throw .invalidInput("unknown time unit \"\(unit)\" (s, ms or us)") }
            options.timeUnit = parsed
        }
        options.rejectFile = text(rejectFile).map { .file($0) }
        let result = try StoreHandle.from(store).backfill(view: required(view, "view"), version: version(number),
                                                          input: .file(required(path, "path")), options: options)
        try handOut(json(result), out)
    }
}
