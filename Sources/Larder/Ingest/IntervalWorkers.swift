import class Foundation.Thread
import class Dispatch.DispatchSemaphore

/// Computes the outputs of a backfill's intervals on up to `jobs` threads
/// while the caller commits them one by one in interval order: at most
/// `jobs` outputs wait (computed or being computed) ahead of the one the
/// caller takes, so `--jobs N` runs N commands at once and writes stay
/// serialized.
final class IntervalWorkers<Output: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var next = 0
    private var stopped = false
    private var outputs: [Output?]
    private let ready: [DispatchSemaphore]
    /// Free places ahead of the caller: a worker takes one before it starts
    /// an interval, the caller gives it back when it has taken an output.
    private let window: DispatchSemaphore
    private let ended = DispatchSemaphore(value: 0)
    private let threads: Int

    /// Starts `jobs` threads running `produce` for indexes `0..<count`, in order.
    init(count: Int, jobs: Int, produce: @escaping @Sendable (Int) -> Output) {
        outputs = Array(repeating: nil, count: count)
        ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        window = DispatchSemaphore(value: jobs)
        threads = min(jobs, max(count, 1))
        for _ in 0..<threads {
            let thread = Thread { [self] in
                while true {
                    window.wait()
                    let index: Int? = lock.withLock {
                        guard !stopped, next < count else { return nil }
                        next += 1
                        return next - 1
                    }
                    guard let index else { break }
                    let output = produce(index)
                    lock.withLock { outputs[index] = output }
                    ready[index].signal()
                }
                window.signal() // lets the next thread see the end too
                ended.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// The output of interval `index`, once computed; the caller takes
    /// them in order, each once.
    func take(_ index: Int) -> Output {
        ready[index].wait()
        let output = lock.withLock {
            defer { outputs[index] = nil }
            return outputs[index]!
        }
        window.signal()
        return output
    }

    /// Starts no more intervals, waits for the running ones to end, and
    /// returns the outputs no one took (so the caller can remove their files).
    func stop() -> [Output] {
        lock.withLock { stopped = true }
        window.signal()
        for _ in 0..<threads { ended.wait() }
        return lock.withLock {
            defer { outputs = outputs.map { _ in nil } }
            return outputs.compactMap { $0 }
        }
    }
}
