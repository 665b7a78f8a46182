import CLarder
import Larder

/// The caller's interval function and its context, called from Larder's
/// worker threads (larder.h says what the caller promises about them).
private struct IntervalFunction: @unchecked Sendable {
    let function: larder_interval_function
    let context: UnsafeMutableRawPointer?
    let target: FeatureView
    let options: IngestOptions

    /// The rows of `interval`: what the function put in its stream, or no
    /// rows when it left the stream released; its message as the error
    /// when it returned non-zero.
    func rows(_ interval: BackfillInterval) throws(LarderError) -> FeatureFrame {
        var stream = ArrowArrayStream()
        var message = [CChar](repeating: 0, count: 4096)
        let status = function(context, interval.start.microseconds, interval.end.microseconds, &stream, &message, message.count - 1)
        guard status == 0 else {
            release(&stream)
            let end = message.firstIndex(of: 0) ?? message.count
            let text = String(decoding: message[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .invalidInput(text.isEmpty ? "it returned \(status) without a message" : text)
        }
        guard stream.release != nil else { return FeatureFrame(names: [], columns: []) }
        return try rowsFrame(&stream, for: target, options: options)
    }
}

/// The report of a backfill over intervals as the JSON larder.h describes.
private func json(_ report: BackfillReport) -> String {
    JSONValue.object([
        "all_committed": .bool(report.allCommitted),
        "intervals": .array(report.intervals.map { interval, outcome in
            var item: [String: JSONValue] = ["start": .string(BackfillInterval.text(interval.start)),
                                             "end": .string(BackfillInterval.text(interval.end)),
                                             "run_id": .null, "rows": .null, "message": .string("")]
            switch outcome {
            case .committed(let runID, let rows):
                item["outcome"] = .string("committed")
                item["run_id"] = .int(Int(runID))
                item["rows"] = .int(rows)
            case .skipped: item["outcome"] = .string("skipped")
            case .unchanged: item["outcome"] = .string("unchanged")
            case .failed(let message):
                item["outcome"] = .string("failed")
                item["message"] = .string(message)
            case .notRun: item["outcome"] = .string("not_run")
            }
            return .object(item)
        }),
    ]).rendered
}

/// Backfills a view over intervals with a function of the caller's (larder.h).
@_cdecl("larder_backfill_intervals")
public func larderBackfillIntervals(_ store: OpaquePointer?, _ view: UnsafePointer<CChar>?, _ number: Int64, _ from: Int64,
                                    _ to: Int64, _ every: Int64, _ name: UnsafePointer<CChar>?,
                                    _ function: larder_interval_function?, _ context: UnsafeMutableRawPointer?,
                                    _ jobs: Int32, _ lookback: Int64, _ flags: Int32,
                                    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in
        let store = try StoreHandle.from(store)
        guard let function else { throw .invalidInput("no interval function (NULL)") }
        guard flags & LARDER_SKIP_IF_UNCHANGED == 0 else {
            throw .invalidInput("skip_if_unchanged is not used by a backfill over intervals: the ledger skips committed intervals")
        }
        let name = try required(name, "name")
        let target = try store.registry.view(required(view, "view"), version: version(number))
        var backfill = BackfillOptions(from: Timestamp(microseconds: from), to: Timestamp(microseconds: to), every: every)
        backfill.ingest = options(flags)
        backfill.jobs = Int(jobs)
        backfill.lookback = lookback
        backfill.force = flags & LARDER_FORCE != 0
        backfill.failFast = flags & LARDER_FAIL_FAST != 0
        let caller = IntervalFunction(function: function, context: context, target: target, options: backfill.ingest)
        let producer = IntervalProducer.function(name: name) { interval in try caller.rows(interval) }
        let report = try store.backfill(view: target.name, version: target.version, producer: producer, options: backfill)
        try handOut(json(report), out)
    }
}

/// The ledger of a view version as JSON (larder.h).
@_cdecl("larder_ledger_json")
public func larderLedgerJSON(_ store: OpaquePointer?, _ view: UnsafePointer<CChar>?, _ number: Int64,
                             _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    call { () throws(LarderError) in
        try handOut(StoreHandle.from(store).ledger(view: required(view, "view"), version: version(number)).json(), out)
    }
}
