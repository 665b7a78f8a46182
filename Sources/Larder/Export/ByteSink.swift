#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a writer's bytes go: a file, standard output, or memory.
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
    /// Bytes already handed to the operating system.
    private var flushed = 0

    private init(path: String, file: OutputFile?) {
        self.path = path
        self.file = file
        buffer.reserveCapacity(file == nil ? 0 : Self.flushThreshold + Self.flushThreshold / 4)
    }

    /// A sink that writes to `path`, created or truncated, or to standard
    /// output when `path` is `-`.
    static func open(path: String) throws(LarderError) -> ByteSink {
        if path == "-" { return ByteSink(path: path, file: OutputFile(descriptor: STDOUT_FILENO, owned: false)) }
        let descriptor = posixOpen(path)
        guard descriptor >= 0 else { throw .io(path: path, message: "cannot open for writing: \(lastErrorText())") }
        return ByteSink(path: path, file: OutputFile(descriptor: descriptor, owned: true))
    }

    /// A sink that keeps everything in ``buffer``.
    static func memory() -> ByteSink {
        ByteSink(path: "<memory>", file: nil)
    }

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
        guard let file, !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { bytes in
            Result { () throws(LarderError) in try file.writeAll(bytes, path: path) }
        }.get()
        flushed += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, then closes the file (standard output stays open).
    mutating func close() throws(LarderError) {
        try flush()
        try file?.close(path: path)
    }
}

/// An open file descriptor, closed when the last sink copy that holds it
/// goes away without ``close(path:)`` (after an error, say).
private final class OutputFile {
    let descriptor: Int32
    /// Whether the descriptor is ours to close (false for standard output).
    private let owned: Bool
    private var isOpen = true

    init(descriptor: Int32, owned: Bool) {
        self.descriptor = descriptor
        self.owned = owned
    }

    deinit {
        if owned, isOpen { _ = posixClose(descriptor) }
    }

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

    /// Closes the descriptor if it is ours.
    func close(path: String) throws(LarderError) {
        guard owned, isOpen else { return }
        isOpen = false
        if posixClose(descriptor) != 0 { throw .io(path: path, message: "cannot close: \(lastErrorText())") }
    }
}

// The system calls, under names that the sink's own methods do not shadow.

private func posixOpen(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
}

private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

private func posixClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

private func lastErrorText() -> String {
    String(cString: strerror(errno))
}
