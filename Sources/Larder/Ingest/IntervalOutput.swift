#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a backfill's producer made of one interval, before it is committed.
enum IntervalOutput: Sendable {
    /// A command's standard output in the file at `path`, its content hash,
    /// and the tail of its standard error (for a failure message).
    case file(path: String, sha256: String, stderrTail: String)
    /// A function's frame.
    case frame(FrameSource)
    /// The producer failed: why, with standard error's tail.
    case failed(String)

    /// Runs `producer` for `interval` of `view` (whose input names event
    /// times `eventColumn`); a command writes its output
    /// to `folder/name.out` (its standard error to `folder/name.err`,
    /// removed once its tail is read).
    static func produce(_ producer: IntervalProducer, for interval: BackfillInterval, view: FeatureView, eventColumn: String,
                        timeoutSeconds: Double?,
                        folder: String, name: String) -> IntervalOutput {
        switch producer {
        case .command:
            let out = "\(folder)/\(name).out", err = "\(folder)/\(name).err"
            defer { unlink(err) }
            let command = IntervalCommand(
                line: producer.identity(for: interval),
                environment: [("LARDER_START", BackfillInterval.text(interval.start)), ("LARDER_END", BackfillInterval.text(interval.end)),
                              ("LARDER_VIEW", view.name), ("LARDER_VERSION", String(view.version))],
                timeoutSeconds: timeoutSeconds)
            do {
                let ending = try command.run(stdoutPath: out, stderrPath: err)
                let tail = IntervalCommand.tail(of: err)
                let shown = tail.isEmpty ? "" : "\nstandard error (its end):\n" + tail
                switch ending {
                case .exited(0):
                    if FileSystem.size(out) == 0 {
                        unlink(out)
                        return .frame(FrameSource(frame: noRows(for: view, eventColumn: eventColumn)))
                    }
                    return .file(path: out, sha256: try ByteSource.sha256(path: out), stderrTail: shown)
                case .exited(let status):
                    unlink(out)
                    return .failed("the command exited with status \(status)" + shown)
                case .signalled(let signal):
                    unlink(out)
                    return .failed("the command was killed by signal \(signal)" + shown)
                case .timedOut:
                    unlink(out)
                    return .failed("the command ran past its timeout of \(timeoutSeconds ?? 0) s and was killed" + shown)
                }
            } catch {
                unlink(out)
                return .failed(error.description)
            }
        case .function(let functionName, let body):
            do {
                let frame = try body(interval)
                return .frame(FrameSource(frame: frame.rowCount == 0 ? noRows(for: view, eventColumn: eventColumn) : frame))
            } catch {
                return .failed("the function \(functionName) failed: \(error)")
            }
        }
    }

    /// An interval's answer when its producer gave no rows (an empty
    /// output, a frame without rows, whatever its columns): no rows, in
    /// the view's columns, so that it is committed as an empty run.
    static func noRows(for view: FeatureView, eventColumn: String) -> FeatureFrame {
        let keys = view.joinKeys.map { ($0.name, Column(type: $0.type.featureType)) }
        let features = view.features.map { ($0.name, Column(type: $0.type)) }
        let columns = keys + [(eventColumn, Column(type: .timestamp))] + features
        return FeatureFrame(names: columns.map(\.0), columns: columns.map(\.1))
    }

    /// The tail of standard error, as shown after a validation report.
    var stderrTail: String {
        if case .file(_, _, let tail) = self { return tail }
        return ""
    }

    /// Removes the output file, if any.
    func remove() {
        if case .file(let path, _, _) = self { unlink(path) }
    }
}
