import Dispatch
import Larder
import NIOCore
import Synchronization

/// Carries the chunks a blocking producer (a training set being encoded on
/// NIO's thread pool) writes to the async code that sends them to the
/// client, at most ``window`` chunks ahead of what was sent: memory stays
/// bounded, and a client that goes away stops the producer at its next
/// chunk.
final class ChunkChannel: Sendable {
    /// The chunks the producer may be ahead.
    static let window = 2
    /// How long the producer waits for the consumer before giving up.
    static let patience = DispatchTimeInterval.seconds(60)

    /// The chunks, ending with the producer's error if it failed.
    let chunks: AsyncThrowingStream<ByteBuffer, any Error>
    private let continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    private let credits = DispatchSemaphore(value: ChunkChannel.window)
    private let cancelled = Atomic<Bool>(false)

    init() {
        (chunks, continuation) = AsyncThrowingStream.makeStream()
    }

    /// Hands on a copy of `bytes`, after waiting for room (producer side).
    ///
    /// - Throws: ``LarderError/Category/io`` once the consumer has stopped.
    func send(_ bytes: UnsafeRawBufferPointer) throws(LarderError) {
        guard credits.wait(timeout: .now() + ChunkChannel.patience) == .success, !cancelled.load(ordering: .acquiring) else {
            throw LarderError(.io, "the client stopped reading the answer")
        }
        continuation.yield(ByteBuffer(bytes: bytes))
    }

    /// Ends the chunks, with `error` when the producer failed.
    func finish(_ error: (any Error)?) {
        continuation.finish(throwing: error)
    }

    /// Says a chunk was sent on (consumer side).
    func sent() { credits.signal() }

    /// Stops the producer at its next chunk (consumer side).
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        for _ in 0..<ChunkChannel.window { credits.signal() }
    }
}

/// An async iterator handed from the handler to its response body, which
/// uses it alone after that.
final class IteratorBox: @unchecked Sendable {
    var iterator: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator

    init(_ iterator: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator) {
        self.iterator = iterator
    }
}
