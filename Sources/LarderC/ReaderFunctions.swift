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

    /// Lays out `batch`'s answers in `buffer` as larder.h describes
    /// (`larder_reader_get_many_int64`): feature by feature, each a run of
    /// slots, of status bytes and of event times
    /// (``OnlineBatch/write(feature:statuses:times:slots:payload:)`` writes
    /// them in place), its payloads (string, bytes, vector) appended as they
    /// come, so that a feature's payloads are one run in entity order (each
    /// string and bytes value followed by a zero byte, so that a caller can
    /// split the run at them when no value holds one). When
    /// the buffer is too small nothing is written but the payloads counted,
    /// and the call then says how many bytes the answer takes. Allocates
    /// nothing when the answer fits.
    func fill(_ batch: OnlineBatch, _ buffer: UnsafeMutableRawPointer?, _ capacity: Int,
              _ needed: UnsafeMutablePointer<Int>?) throws(LarderError) -> Int32 {
        let count = batch.count, total = types.count * count
        let timesAt = (total * 9 + 7) & ~7
        var tail = timesAt + total * 8
        let fits = buffer != nil && capacity >= tail
        for (f, type) in types.enumerated() {
            // Vectors 4-byte aligned; strings and bytes each followed by a zero byte.
            let (align, terminator) = if case .vector = type { (4, 0) } else { (1, 1) }
            func payload(_ i: Int, _ bytes: UnsafeRawBufferPointer) {
                tail = (tail + align - 1) & ~(align - 1)
                if fits, let buffer, tail + bytes.count + terminator <= capacity {
                    let cell = f * count + i
                    buffer.storeBytes(of: UInt32(truncatingIfNeeded: tail), toByteOffset: cell * 8, as: UInt32.self)
                    buffer.storeBytes(of: UInt32(truncatingIfNeeded: bytes.count), toByteOffset: cell * 8 + 4, as: UInt32.self)
                    if let base = bytes.baseAddress { (buffer + tail).copyMemory(from: base, byteCount: bytes.count) }
                    if terminator > 0 { buffer.storeBytes(of: 0, toByteOffset: tail + bytes.count, as: UInt8.self) }
                }
                tail += bytes.count + terminator
            }
            if fits, let buffer {
                let first = f * count
                batch.write(feature: f, statuses: (buffer + total * 8 + first).assumingMemoryBound(to: UInt8.self),
                            times: (buffer + timesAt + first * 8).assumingMemoryBound(to: Int64.self),
                            slots: (buffer + first * 8).assumingMemoryBound(to: UInt64.self), payload: payload)
            } else {
                // Only the payloads' sizes are wanted (a buffer too small: the caller reads again).
                var statuses = [UInt8](repeating: 0, count: count), times = [Int64](repeating: 0, count: count)
                var slots = [UInt64](repeating: 0, count: count)
                batch.write(feature: f, statuses: &statuses, times: &times, slots: &slots, payload: payload)
            }
        }
        guard tail <= Int(UInt32.max) else {
            throw .invalidInput("the answer for \(count) entities takes \(tail) bytes, more than 4 GiB: read fewer at once")
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

/// Reads one entity into a caller-owned read block (larder.h, `larder_read_block`): the
/// reader, the key and the block's size come from its header, the answer goes after it
/// (after the key's bytes for a string key), the bytes the call needs into `needed`. One
/// pointer is the only argument, so a caller through an FFI converts nothing per call.
@_cdecl("larder_reader_read")
public func larderReaderRead(_ block: UnsafeMutablePointer<larder_read_block>?) -> Int32 {
    var code = LARDER_OK
    let status = call { () throws(LarderError) in
        guard let block else { throw .invalidInput("no read block (NULL)") }
        let header = MemoryLayout<larder_read_block>.stride
        let size = Int(clamping: block.pointee.size)
        guard size >= header, Int(bitPattern: block) & 7 == 0 else {
            throw .invalidInput("the read block has \(size) bytes at \(block), not an 8-byte-aligned block of at least \(header)")
        }
        let handle = try ReaderHandle.from(block.pointee.reader)
        let start = UnsafeMutableRawPointer(block) + header
        var answer = header
        let row: FeatureRow
        if handle.reader.joinKeys.count == 1, handle.reader.joinKeys[0].type == .string {
            let length = Int(block.pointee.key)
            guard length >= 0, length <= size - header else {
                throw .invalidInput("the key's length \(length) does not fit in the read block of \(size) bytes")
            }
            answer += (length + 7) & ~7
            row = try handle.reader.read(key: String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self))
        } else {
            row = try handle.reader.read(key: block.pointee.key)
        }
        var needed = 0
        code = try handle.fill(OnlineBatch(single: row), UnsafeMutableRawPointer(block) + answer, max(0, size - answer), &needed)
        block.pointee.needed = UInt64(answer + needed)
    }
    return status == LARDER_OK ? code : status
}

/// Reads `count` entities by int64 keys into a buffer, feature by feature (larder.h).
@_cdecl("larder_reader_get_many_int64")
public func larderReaderGetManyInt64(_ reader: OpaquePointer?, _ keys: UnsafePointer<Int64>?, _ count: Int,
                                     _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                                     _ needed: UnsafeMutablePointer<Int>?) -> Int32 {
    var code = LARDER_OK
    let status = call { () throws(LarderError) in
        guard count >= 0, keys != nil || count == 0 else { throw .invalidInput("no keys (NULL) for \(count) entities") }
        let handle = try ReaderHandle.from(reader)
        let batch = try handle.reader.batch(int64Keys: UnsafeBufferPointer(start: keys, count: count))
        code = try handle.fill(batch, buffer.map(UnsafeMutableRawPointer.init), capacity, needed)
    }
    return status == LARDER_OK ? code : status
}

/// Reads `count` entities by string keys into a buffer, feature by feature (larder.h).
@_cdecl("larder_reader_get_many_string")
public func larderReaderGetManyString(_ reader: OpaquePointer?, _ bytes: UnsafePointer<CChar>?, _ offsets: UnsafePointer<Int64>?,
                                      _ count: Int, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                                      _ needed: UnsafeMutablePointer<Int>?) -> Int32 {
    var code = LARDER_OK
    let status = call { () throws(LarderError) in
        guard count >= 0, let offsets, bytes != nil || count == 0 else { throw .invalidInput("no keys (NULL) for \(count) entities") }
        for i in 0..<count where offsets[i] < 0 || offsets[i + 1] < offsets[i] {
            throw .invalidInput("key offsets \(offsets[i]) then \(offsets[i + 1]) (entity \(i)) go backwards")
        }
        let handle = try ReaderHandle.from(reader)
        let end = count == 0 ? 0 : Int(offsets[count])
        let batch = try handle.reader.batch(stringKeys: UnsafeRawBufferPointer(start: bytes, count: end),
                                            offsets: UnsafeBufferPointer(start: offsets, count: count + 1))
        code = try handle.fill(batch, buffer.map(UnsafeMutableRawPointer.init), capacity, needed)
    }
    return status == LARDER_OK ? code : status
}
