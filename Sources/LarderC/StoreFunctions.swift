import CLarder
import Larder

/// What a `larder_store *` points at: the store, retained until `larder_close`.
final class StoreHandle {
    let store: FeatureStore

    init(_ store: FeatureStore) { self.store = store }

    /// The store behind a handle passed in by the caller.
    static func from(_ pointer: OpaquePointer?) throws(LarderError) -> FeatureStore {
        guard let pointer else { throw .invalidInput("no store (a NULL larder_store)") }
        return Unmanaged<StoreHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue().store
    }
}

/// A version argument: 0 means the latest.
func version(_ value: Int64) throws(LarderError) -> Int? {
    guard value >= 0 else { throw .invalidInput("version \(value) is negative (0 means the latest)") }
    return value == 0 ? nil : Int(value)
}

/// An optional time argument.
func time(_ pointer: UnsafePointer<Int64>?) -> Timestamp? {
    pointer.map { Timestamp(microseconds: $0.pointee) }
}

/// Opens a store (larder.h).
@_cdecl("larder_open")
public func larderOpen(_ path: UnsafePointer<CChar>?, _ create: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    call { () throws(LarderError) in
        guard let out else { throw .invalidInput("no place for the store (a NULL out pointer)") }
        let store = try FeatureStore(path: required(path, "path"), options: FeatureStore.Options(create: create != 0))
        out.pointee = OpaquePointer(Unmanaged.passRetained(StoreHandle(store)).toOpaque())
    }
}

/// Closes a store handle (larder.h).
@_cdecl("larder_close")
public func larderClose(_ store: OpaquePointer?) {
    guard let store else { return }
    Unmanaged<StoreHandle>.fromOpaque(UnsafeRawPointer(store)).release()
}

/// Applies a definitions file (larder.h).
@_cdecl("larder_apply")
public func larderApply(_ store: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ carryData: Int32, _ dryRun: Int32,
                 _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in
        let definitions = try Definitions.load(path: required(path, "path"))
        let plan = try StoreHandle.from(store).apply(definitions, carryData: carryData != 0, dryRun: dryRun != 0)
        try handOut(plan.description, out)
    }
}

/// The catalog as JSON (larder.h).
@_cdecl("larder_catalog_json")
public func larderCatalogJSON(_ store: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in try handOut(StoreHandle.from(store).registry.catalogJSON(), out) }
}

/// A view version as JSON (larder.h).
@_cdecl("larder_describe_json")
public func larderDescribeJSON(_ store: OpaquePointer?, _ view: UnsafePointer<CChar>?, _ number: Int64,
                        _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in
        try handOut(StoreHandle.from(store).registry.view(required(view, "view"), version: version(number)).json(), out)
    }
}

/// A view's runs as JSON (larder.h).
@_cdecl("larder_runs_json")
public func larderRunsJSON(_ store: OpaquePointer?, _ view: UnsafePointer<CChar>?,
                    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in try handOut(StoreHandle.from(store).runs(view: required(view, "view")).json(), out) }
}

/// The cache's entries as JSON (larder.h).
@_cdecl("larder_cache_json")
public func larderCacheJSON(_ store: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in
        let entries: [JSONValue] = try StoreHandle.from(store).cacheStatistics().map {
            .object(["view": .string($0.view), "version": .int($0.version), "rows": .int($0.rows), "bytes": .int($0.bytes),
                     "raw_bytes": .int($0.rawBytes), "mapped": .bool($0.mapped), "delta_rows": .int($0.deltaRows)])
        }
        try handOut(JSONValue.array(entries).rendered, out)
    }
}
