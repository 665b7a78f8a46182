import class Foundation.Thread
import class Dispatch.DispatchSemaphore
import Synchronization

/// Gathers a run's statistics (one ``FeatureStatistics`` per feature) from
/// the batches the writer has inserted, on a thread of its own when the run
/// is large, so that the writer thread — the bottleneck of a large backfill —
/// does not also pay for the sketches. Batches are added in the order they
/// were written, so the statistics equal those gathered on the writer thread.
///
/// A small run (a push already in memory) gathers on the calling thread:
/// no thread to start for a few rows.
final class StatisticsGatherer: Sendable {
    private enum Work: Sendable {
        case batch([Column], skipping: Bitmap?)
        case end
    }

    /// The queue to the gathering thread; nil when gathering inline.
    private let queue: HandoffQueue<Work>?
    private let finished = DispatchSemaphore(value: 0)
    /// Whether the thread was told to end (by `finish` or `abandon`).
    private let ended = Mutex(false)
    /// The statistics so far: touched by one thread at a time (the gathering
    /// thread until it ends, then the writer).
    private let statistics: Mutex<[FeatureStatistics]>

    /// Statistics of the features of `view`, gathered on a thread of their
    /// own when `threaded`.
    init(view: FeatureView, threaded: Bool) {
        statistics = Mutex(view.features.map { FeatureStatistics(name: $0.name, type: $0.type) })
        guard threaded else {
            queue = nil
            return
        }
        let queue = HandoffQueue<Work>(capacity: 4)
        self.queue = queue
        let thread = Thread { [self] in
            HelperPriority.yieldToWriter()
            var scratch: [Double] = []
            while case .batch(let columns, let bad)? = queue.take() {
                gather(columns, skipping: bad, scratch: &scratch)
            }
            finished.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Adds the rows of a written batch's feature columns that `bad` does not mark.
    func add(_ columns: [Column], skipping bad: Bitmap?) {
        if let queue {
            _ = queue.put(.batch(columns, skipping: bad))
        } else {
            var scratch: [Double] = []
            gather(columns, skipping: bad, scratch: &scratch)
        }
    }

    /// The statistics of every batch added, once the gathering thread has
    /// taken them all.
    func finish() -> [FeatureStatistics] {
        stop(draining: true)
        return statistics.withLock { $0 }
    }

    /// Stops the gathering thread without waiting for the batches still
    /// queued (the run failed). Does nothing after ``finish()``.
    func abandon() {
        stop(draining: false)
    }

    /// Ends the gathering thread once, after the queued batches when
    /// `draining`, and waits until it has ended.
    private func stop(draining: Bool) {
        guard let queue, ended.withLock({ ended in defer { ended = true }; return !ended }) else { return }
        if draining { _ = queue.put(.end) } else { queue.close() }
        finished.wait()
    }

    private func gather(_ columns: [Column], skipping bad: Bitmap?, scratch: inout [Double]) {
        statistics.withLock { statistics in
            for f in statistics.indices { statistics[f].add(columns[f], skipping: bad, scratch: &scratch) }
        }
    }
}
