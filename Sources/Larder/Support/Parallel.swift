import Dispatch
import Foundation

/// Splitting a large loop over the machine's cores. A join over a large
/// snapshot waits on memory, not arithmetic: each core keeps its own cache
/// misses in flight, so two cores answer a large spine in a little over
/// half the time. Small loops stay on the calling thread, where handing
/// work to other threads would cost more than it saves.
enum Parallel {
    /// The fewest items a thread is given.
    static let minimumChunk = 32_768

    /// Calls `body` with consecutive ranges that together cover `0..<count`,
    /// on up to one thread per core when `count` is at least two chunks of
    /// `minimumChunk`, otherwise once on the calling thread. Returns when
    /// every call has returned; calls must not write to shared state except
    /// through disjoint parts of a buffer.
    static func forEachChunk(of count: Int, minimumChunk: Int = minimumChunk, _ body: (Range<Int>) -> Void) {
        let chunks = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / Swift.max(minimumChunk, 1))
        guard chunks > 1 else {
            body(0..<count)
            return
        }
        run(chunks) { chunk in body((count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
    }

    /// Calls `body` for each index of `0..<count`, spread over the cores
    /// when `parallel`; returns when every call has returned.
    static func forEach(_ count: Int, parallel: Bool, _ body: (Int) -> Void) {
        guard parallel, count > 1, ProcessInfo.processInfo.activeProcessorCount > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        run(count, body)
    }

    /// `DispatchQueue.concurrentPerform` over a body that is not `Sendable`:
    /// its callers' bodies read shared immutable data and write disjoint
    /// parts of one buffer, which the compiler cannot see (hence the box).
    private static func run(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body: body)
            DispatchQueue.concurrentPerform(iterations: iterations) { box.body($0) }
        }
    }

    /// A body passed to other threads; see ``run(_:_:)``.
    private struct UncheckedBox: @unchecked Sendable {
        let body: (Int) -> Void
    }
}
