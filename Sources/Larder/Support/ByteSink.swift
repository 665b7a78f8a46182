#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a writer's bytes go: a file, standard output, memory, or a
/// consumer function (an HTTP response).
///
/// Writers append to ``buffer`` directly and call ``flushIfFull()`` now and
/// then; the sink hands the bytes to the operating system in chunks of about
/// ``flushThreshold`` bytes, so memory stays bounded however many rows pass
/// through. A memory sink never flushes: ``buffer`` ends up holding
/// everything written.
struct ByteSink {
    /// The buffer is flushed once it holds at least this many bytes.
    static let flushThreshold = 1 << 20

    /// The path written to, for error messages: `-` for standard output,
    /// `<memory>` for a memory sink.
    let path: String
    /// Bytes not yet handed to the operating system.
    var buffer: [UInt8] = []
    /// The open file, or `nil` for a memory sink.
    private let file: OutputFile?
    /// The temporary file behind `file`, when writing to a file.
    private let pending: PendingFile?
    /// Whether ``close()`` renames the pending file into place (a sink of a
    /// standalone writer), or leaves that to its ``OutputFiles``.
    private let commitsOnClose: Bool
    /// The function handed each flushed chunk, for a consumer sink.
    private let consumer: ((UnsafeRawBufferPointer) throws(LarderError) -> Void)?
    /// Bytes already handed to the operating system.
    private var flushed = 0

    private init(path: String, file: OutputFile?, pending: PendingFile?, commitsOnClose: Bool,
                 consumer: ((UnsafeRawBufferPointer) throws(LarderError) -> Void)? = nil) {
        self.path = path
        self.file = file
        self.pending = pending
        self.commitsOnClose = commitsOnClose
        self.consumer = consumer
        buffer.reserveCapacity(file == nil ? 0 : Self.flushThreshold + Self.flushThreshold / 4)
    }

    /// A sink that writes to `pending`'s temporary file; with
    /// `commitsOnClose`, ``close()`` renames it into place.
    init(pending: PendingFile, commitsOnClose: Bool) {
        self.init(path: pending.target, file: OutputFile(descriptor: pending.descriptor), pending: pending, commitsOnClose: commitsOnClose)
    }

    /// A sink that writes to standard output.
    static func standardOutput() -> ByteSink {
        ByteSink(path: "-", file: OutputFile(descriptor: STDOUT_FILENO), pending: nil, commitsOnClose: false)
    }

    /// A sink for `destination` on its own: a file appears, complete, when
    /// the sink is closed.
    static func open(_ destination: Destination) throws(LarderError) -> ByteSink {
        switch destination {
        case .standardOutput: standardOutput()
        case .file(let path): ByteSink(pending: try PendingFile(target: path), commitsOnClose: true)
        }
    }

    /// A sink that hands its bytes to `consumer` in chunks of about
    /// ``flushThreshold`` bytes, as they are written; what `consumer` throws
    /// stops the writer.
    static func consumer(_ consumer: @escaping (UnsafeRawBufferPointer) throws(LarderError) -> Void) -> ByteSink {
        ByteSink(path: "<response>", file: nil, pending: nil, commitsOnClose: false, consumer: consumer)
    }

    /// A sink that keeps everything in ``buffer``.
    static func memory() -> ByteSink {
        ByteSink(path: "<memory>", file: nil, pending: nil, commitsOnClose: false)
    }

    /// Whether the sink writes a stream that is not a file: standard output
    /// or a consumer.
    var isStream: Bool { (file != nil && pending == nil) || consumer != nil }

    /// The number of bytes written to the sink so far, flushed or not: the
    /// position in the output of the next byte.
    var position: Int { flushed + buffer.count }

    /// Flushes when the buffer has reached ``flushThreshold``.
    @inline(__always) mutating func flushIfFull() throws(LarderError) {
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends `bytes`; a large block goes straight to the file rather than
    /// through the buffer.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws(LarderError) {
        if let file, bytes.count >= Self.flushThreshold {
            try flush()
            try file.writeAll(bytes, path: path)
            flushed += bytes.count
        } else {
            buffer.append(contentsOf: bytes)
            try flushIfFull()
        }
    }

    /// Appends `count` zero bytes.
    mutating func appendZeros(_ count: Int) {
        buffer.append(contentsOf: repeatElement(0, count: count))
    }

    /// Appends `value` in little-endian byte order.
    @inline(__always) mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// Hands the buffered bytes to the operating system (nothing for a
    /// memory sink).
    mutating func flush() throws(LarderError) {
        if let consumer, !buffer.isEmpty {
            try buffer.withUnsafeBytes { bytes in Result { () throws(LarderError) in try consumer(bytes) } }.get()
            flushed += buffer.count
            buffer.removeAll(keepingCapacity: true)
            return
        }
        guard let file, !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { bytes in
            Result { () throws(LarderError) in try file.writeAll(bytes, path: path) }
        }.get()
        flushed += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes; a standalone file sink then renames its file into place.
    mutating func close() throws(LarderError) {
        try flush()
        if commitsOnClose { try pending?.commit() }
    }
}

/// An open file descriptor that a sink writes to; its owner (a
/// ``PendingFile``, or the process for standard output) closes it.
private struct OutputFile {
    let descriptor: Int32

    /// Writes all of `bytes`, retrying short writes and interruptions.
    func writeAll(_ bytes: UnsafeRawBufferPointer, path: String) throws(LarderError) {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = posixWrite(descriptor, next, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, message: "cannot write: \(lastErrorText())")
            }
            next += written
            remaining -= written
        }
    }
}

// The system calls, under names that the sink's own methods do not shadow.

private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

private func lastErrorText() -> String {
    String(cString: strerror(errno))
}
