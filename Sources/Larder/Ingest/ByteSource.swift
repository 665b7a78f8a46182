#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Input bytes, from a file, stdin (`-`) or memory, read with POSIX `read`
/// in large chunks into one buffer that the readers scan in place.
///
/// The buffer holds a window of bytes not yet consumed (``unconsumed``). A
/// reader scans it, ``consume(_:)``s the records it finished, and calls
/// ``fill()`` when the window ends inside a record: that moves the
/// unfinished record to the front and reads at least as many bytes again as
/// it already holds, so a record that spans many chunks is rescanned only a
/// logarithmic number of times.
final class ByteSource {
    /// The default number of bytes asked of each read: 1 MiB.
    static let defaultChunkSize = 1 << 20

    /// The path read (`-` for stdin), used in error messages.
    let path: String
    /// The total number of input bytes when known (a regular file or memory),
    /// for progress; `nil` for pipes and terminals.
    let totalSize: Int?
    /// The fewest bytes ``fill()`` asks for at once.
    let chunkSize: Int
    /// The bytes consumed so far.
    private(set) var bytesConsumed = 0
    /// SHA-256 of the bytes consumed so far: the run's content hash.
    private var hasher = SHA256()
    /// Whether the end of input was reached: no byte will follow ``unconsumed``.
    private(set) var isAtEnd = false

    /// The file descriptor read, or -1 for input in memory.
    private let descriptor: Int32
    /// Whether ``descriptor`` was opened here and is closed on deinit.
    private let ownsDescriptor: Bool
    /// The buffer; bytes `head ..< tail` are the unconsumed window.
    private var buffer: UnsafeMutableRawBufferPointer
    /// The start of the unconsumed bytes in ``buffer``.
    private var head = 0
    /// The end of the bytes read into ``buffer``.
    private var tail = 0

    /// Opens `path` for reading, or stdin when `path` is `-`.
    /// - Parameter chunkSize: the fewest bytes asked of each refill (tests
    ///   pass tiny sizes so that records straddle chunks).
    init(path: String, chunkSize: Int = ByteSource.defaultChunkSize) throws(LarderError) {
        precondition(chunkSize > 0, "chunk size must be positive")
        self.path = path
        self.chunkSize = chunkSize
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ByteSource.error(path, "cannot open") }
            ownsDescriptor = true
        }
        var info = stat()
        if fstat(descriptor, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR {
                if ownsDescriptor { close(descriptor) }
                throw .io(path: path, message: "cannot read: is a directory")
            }
            totalSize = info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) : nil
        } else {
            totalSize = nil
        }
        buffer = .allocate(byteCount: chunkSize, alignment: 16)
    }

    /// Opens `source`: a file, standard input, or bytes in memory.
    convenience init(_ source: Source) throws(LarderError) {
        if case .memory(let name, let bytes) = source {
            self.init(bytes: bytes, name: name)
        } else {
            try self.init(path: source.description)
        }
    }

    /// Input held in memory (an HTTP request body, a test's text), labelled
    /// `name` in messages.
    init(bytes: [UInt8], name: String) {
        path = name
        chunkSize = ByteSource.defaultChunkSize
        totalSize = bytes.count
        descriptor = -1
        ownsDescriptor = false
        isAtEnd = true
        buffer = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        buffer.copyBytes(from: bytes)
        tail = bytes.count
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(descriptor) }
    }

    /// SHA-256 (hex) of every byte consumed so far; of the whole input once
    /// a reader has consumed it all.
    var contentSHA256: String { hasher.finalize() }

    /// The bytes read but not consumed yet. Valid until the next
    /// ``consume(_:)`` or ``fill()``.
    var unconsumed: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[head ..< tail])
    }

    /// Marks the first `count` bytes of ``unconsumed`` as used.
    func consume(_ count: Int) {
        precondition(count >= 0 && count <= tail - head, "consumed more than was read")
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[head ..< head + count]))
        head += count
        bytesConsumed += count
    }

    /// Reads more input after the unconsumed bytes: at least
    /// `max(chunkSize, unconsumed.count)` bytes unless the input ends first.
    /// Returns `false` when no byte was added because the input has ended
    /// (``isAtEnd`` is then true).
    ///
    /// - Complexity: O(unconsumed.count) to move the unconsumed bytes to the
    ///   front, plus the read.
    func fill() throws(LarderError) -> Bool {
        guard !isAtEnd else { return false }
        let pending = tail - head
        if head > 0 {
            if pending > 0, let base = buffer.baseAddress {
                memmove(base, base + head, pending)
            }
            head = 0
            tail = pending
        }
        let wanted = max(chunkSize, pending)
        if buffer.count < tail + wanted {
            let grown = UnsafeMutableRawBufferPointer.allocate(
                byteCount: max(buffer.count * 2, tail + wanted), alignment: 16)
            grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0 ..< tail]))
            buffer.deallocate()
            buffer = grown
        }
        let target = tail + wanted
        let before = tail
        while tail < target {
            let got = read(descriptor, buffer.baseAddress! + tail, target - tail)
            if got > 0 {
                tail += got
            } else if got == 0 {
                isAtEnd = true
                break
            } else if errno != EINTR {
                throw ByteSource.error(path, "cannot read")
            }
        }
        return tail > before
    }

    /// Reads and consumes the rest of the input, into memory.
    func readAll() throws(LarderError) -> [UInt8] {
        while try fill() {}
        let bytes = [UInt8](unconsumed)
        consume(bytes.count)
        return bytes
    }

    /// An I/O error for `path`: `what` and the system's reason for `errno`.
    private static func error(_ path: String, _ what: String) -> LarderError {
        .io(path: path, message: "\(what): \(String(cString: strerror(errno)))")
    }
}

extension ByteSource {
    /// SHA-256 (hex) of the file at `path`, read in 1 MiB chunks.
    static func sha256(path: String) throws(LarderError) -> String {
        let source = try ByteSource(path: path)
        while try source.fill() { source.consume(source.unconsumed.count) }
        source.consume(source.unconsumed.count)
        return source.contentSHA256
    }
}
