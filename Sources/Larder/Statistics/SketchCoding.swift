/// Appends a sketch's fields to bytes, little-endian: the one encoder behind
/// every sketch's `serialized()`.
struct SketchWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    /// Appends one byte.
    mutating func put(_ value: UInt8) { bytes.append(value) }

    /// Appends a fixed-width integer, little-endian.
    mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a double by its bit pattern.
    mutating func put(_ value: Double) { put(value.bitPattern) }

    /// Appends bytes as they are, without their length (what
    /// ``SketchReader/rawBytes(_:)`` reads back).
    mutating func put(rawBytes value: [UInt8]) { bytes.append(contentsOf: value) }

    /// Appends raw bytes with their length first.
    mutating func put(bytes value: some Collection<UInt8>) {
        put(UInt32(value.count))
        bytes.append(contentsOf: value)
    }
}

/// Reads what a ``SketchWriter`` wrote, failing on truncated or malformed
/// input with the name of the sketch that was being read.
struct SketchReader {
    private let bytes: [UInt8]
    private var at = 0
    /// What is being read, for messages (`KLL sketch`).
    let what: String

    /// A reader over `bytes`.
    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool { at == bytes.count }

    /// The error for malformed input.
    func malformed(_ why: String) -> LarderError {
        .corruptStore(path: "statistics", message: "malformed \(what): \(why)")
    }

    /// Reads one byte.
    mutating func byte() throws(LarderError) -> UInt8 {
        guard at < bytes.count else { throw malformed("truncated") }
        defer { at += 1 }
        return bytes[at]
    }

    /// Reads a fixed-width integer, little-endian.
    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws(LarderError) -> T {
        let size = MemoryLayout<T>.size
        guard at + size <= bytes.count else { throw malformed("truncated") }
        let value = bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
        at += size
        return value
    }

    /// Reads a double.
    mutating func double() throws(LarderError) -> Double { Double(bitPattern: try integer(UInt64.self)) }

    /// Reads `count` doubles.
    mutating func doubles(_ count: Int) throws(LarderError) -> [Double] {
        guard count <= (bytes.count - at) / 8 else { throw malformed("truncated") }
        let start = at
        let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { raw in
                let source = UnsafeRawBufferPointer(rebasing: raw[start..<(start + 8 * count)])
                #if _endian(little)
                UnsafeMutableRawBufferPointer(out).copyMemory(from: source) // stored little-endian: the bytes are the values
                #else
                for i in 0..<count { out[i] = Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
                #endif
            }
            initialized = count
        }
        at += 8 * count
        return values
    }

    /// Reads a count that must be at most `limit`.
    mutating func count(atMost limit: Int) throws(LarderError) -> Int {
        let n = Int(try integer(UInt32.self))
        guard n <= limit else { throw malformed("count \(n) above \(limit)") }
        return n
    }

    /// Reads raw bytes written with their length first.
    mutating func byteString() throws(LarderError) -> [UInt8] {
        try rawBytes(Int(try integer(UInt32.self)))
    }

    /// Reads `count` raw bytes.
    mutating func rawBytes(_ count: Int) throws(LarderError) -> [UInt8] {
        guard count <= bytes.count - at else { throw malformed("truncated") }
        defer { at += count }
        return Array(bytes[at..<(at + count)])
    }

    /// Reads the version byte and checks it is one of `supported`.
    mutating func version(in supported: ClosedRange<UInt8>) throws(LarderError) -> UInt8 {
        let v = try byte()
        guard supported.contains(v) else { throw malformed("format version \(v), this build reads \(supported.lowerBound)…\(supported.upperBound)") }
        return v
    }

    /// Reads the version byte and checks it is `expected`.
    mutating func version(_ expected: UInt8) throws(LarderError) {
        let v = try byte()
        guard v == expected else { throw malformed("format version \(v), this build reads \(expected)") }
    }
}
