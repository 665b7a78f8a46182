import CLarder
import Larder

/// What a `larder_reader *` points at: a prepared reader and its features' types.
final class ReaderHandle {
    let reader: FeatureReader
    let types: [FeatureType]

    init(reader: FeatureReader, types: [FeatureType]) {
        self.reader = reader
        self.types = types
    }

    static func from(_ pointer: OpaquePointer?) throws(LarderError) -> ReaderHandle {
        guard let pointer else { throw .invalidInput("no reader (a NULL larder_reader)") }
        return Unmanaged<ReaderHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    /// Lays `row` out in `buffer` as larder.h describes (`larder_reader_get_int64`),
    /// in one pass: a payload that does not fit is only counted, and the
    /// call then says how many bytes the row takes.
    func fill(_ row: FeatureRow, _ buffer: UnsafeMutableRawPointer?, _ capacity: Int,
              _ needed: UnsafeMutablePointer<Int>?) -> Int32 {
        let n = types.count
        var tail = (n * 9 + 7) & ~7
        let fits = buffer != nil && capacity >= tail
        func payload(_ f: Int, _ bytes: UnsafeRawBufferPointer) {
            if fits, let buffer, tail + bytes.count <= capacity {
                buffer.storeBytes(of: UInt32(tail), toByteOffset: f * 8, as: UInt32.self)
                buffer.storeBytes(of: UInt32(bytes.count), toByteOffset: f * 8 + 4, as: UInt32.self)
                if let base = bytes.baseAddress { (buffer + tail).copyMemory(from: base, byteCount: bytes.count) }
            }
            tail += (bytes.count + 7) & ~7
        }
        for (f, type) in types.enumerated() {
            let status = row.status(at: f)
            var slot: UInt64 = 0
            if status == .present {
                switch type {
                case .int64, .timestamp: slot = UInt64(bitPattern: row.int64(at: f) ?? 0)
                case .float64: slot = (row.double(at: f) ?? 0).bitPattern
                case .bool: slot = row.bool(at: f) == true ? 1 : 0
                case .string, .bytes, .vector: break
                }
            }
            if fits, let buffer {
                buffer.storeBytes(of: UInt8(statusCode(status)), toByteOffset: n * 8 + f, as: UInt8.self)
                buffer.storeBytes(of: slot, toByteOffset: f * 8, as: UInt64.self)
            }
            guard status == .present else { continue }
            switch type {
            case .string:
                if var text = row.string(at: f) { text.withUTF8 { payload(f, UnsafeRawBufferPointer($0)) } }
            case .bytes:
                if let bytes = row.bytes(at: f) { bytes.withUnsafeBytes { payload(f, $0) } }
            case .vector:
                if let vector = row.vector(at: f) { vector.withUnsafeBytes { payload(f, $0) } }
            default: break
            }
        }
        needed?.pointee = tail
        return fits && tail <= capacity ? LARDER_OK : LARDER_BUFFER_TOO_SMALL
    }
}


/// Prepares an online reader (larder.h).
@_cdecl("larder_reader_open")
public func larderReaderOpen(_ store: OpaquePointer?, _ features: UnsafePointer<CChar>?, _ featureSet: UnsafePointer<CChar>?,
                      _ fullNames: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    call { () throws(LarderError) in
        guard let out else { throw .invalidInput("no place for the reader (a NULL out pointer)") }
        let store = try StoreHandle.from(store)
        let refs = try store.featureReferences(text(features), featureSet: text(featureSet))
        let reader = try store.reader(features: refs, fullNames: fullNames != 0)
        let types = try store.registry.resolve(refs).map(\.feature.type)
        guard types.count == reader.featureNames.count else {
            throw LarderError(.storage, "the reader has \(reader.featureNames.count) features but the references resolve to \(types.count)")
        }
        out.pointee = OpaquePointer(Unmanaged.passRetained(ReaderHandle(reader: reader, types: types)).toOpaque())
    }
}

/// Frees a reader (larder.h).
@_cdecl("larder_reader_close")
public func larderReaderClose(_ reader: OpaquePointer?) {
    guard let reader else { return }
    Unmanaged<ReaderHandle>.fromOpaque(UnsafeRawPointer(reader)).release()
}

/// A reader's join keys and features as JSON (larder.h).
@_cdecl("larder_reader_describe")
public func larderReaderDescribe(_ reader: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in
        let handle = try ReaderHandle.from(reader)
        try handOut(JSONValue.object([
            "join_keys": .array(handle.reader.joinKeys.map { .object(["name": .string($0.name), "type": .string($0.type.description)]) }),
            "features": .array(zip(handle.reader.featureNames, handle.types).map {
                .object(["name": .string($0.0), "type": .string($0.1.description)])
            }),
        ]).rendered, out)
    }
}

/// Reads one entity by an int64 key into a buffer (larder.h).
@_cdecl("larder_reader_get_int64")
public func larderReaderGetInt64(_ reader: OpaquePointer?, _ key: Int64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                          _ needed: UnsafeMutablePointer<Int>?) -> Int32 {
    var code = LARDER_OK
    let status = call { () throws(LarderError) in
        let handle = try ReaderHandle.from(reader)
        code = handle.fill(try handle.reader.read(key: key), buffer.map(UnsafeMutableRawPointer.init), capacity, needed)
    }
    return status == LARDER_OK ? code : status
}

/// Reads one entity by a string key into a buffer (larder.h).
@_cdecl("larder_reader_get_string")
public func larderReaderGetString(_ reader: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ length: Int,
                           _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                           _ needed: UnsafeMutablePointer<Int>?) -> Int32 {
    var code = LARDER_OK
    let status = call { () throws(LarderError) in
        guard let key, length >= 0 else { throw .invalidInput("no key (NULL)") }
        let text = String(decoding: UnsafeRawBufferPointer(start: key, count: length), as: UTF8.self)
        let handle = try ReaderHandle.from(reader)
        code = handle.fill(try handle.reader.read(key: text), buffer.map(UnsafeMutableRawPointer.init), capacity, needed)
    }
    return status == LARDER_OK ? code : status
}
