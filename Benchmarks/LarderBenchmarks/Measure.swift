import Foundation

/// What ``Measure/run(_:_:)`` reports of a child process.
struct ProcessRun {
    /// Wall time from spawn to exit.
    var seconds: Double
    /// The child's peak resident memory, in MB.
    var peakRSSMegabytes: Double
    /// Its exit status.
    var status: Int32
    /// What it wrote to stdout.
    var stdout: String
}

/// Timing and memory helpers shared by the benchmarks.
enum Measure {
    /// GNU time, through which ``run(_:_:)`` starts its children when it
    /// is installed.
    static let timeCommand = "/usr/bin/time"

    /// Runs `executable arguments…` with posix_spawn and waits for it with
    /// wait4; stdout is captured through a temporary file.
    ///
    /// The peak RSS comes from GNU time (`/usr/bin/time -f %M`) when it is
    /// installed: the rusage wait4 returns for a child made by posix_spawn
    /// (vfork) or fork counts the high-water mark of *this* process's memory
    /// at the child's exec, so a benchmark that holds 1 GB would report 1 GB
    /// for every child. GNU time is small, so its child's peak is the
    /// child's own. Its start adds about a millisecond to `seconds`. Without
    /// it the wait4 figure is reported (an upper bound).
    static func run(_ executable: String, _ arguments: [String]) throws -> ProcessRun {
        let outPath = NSTemporaryDirectory() + "/larder-bench-\(getpid())-stdout"
        let rssPath = NSTemporaryDirectory() + "/larder-bench-\(getpid())-rss"
        let viaTime = access(timeCommand, X_OK) == 0
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let command = viaTime ? [timeCommand, "-f", "%M", "-o", rssPath, executable] + arguments : [executable] + arguments
        let argv = command.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = DispatchTime.now()
        let rc = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard rc == 0 else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: command[0]]) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        unlink(outPath)
        var peakKilobytes = Double(usage.ru_maxrss)
        if viaTime {
            // The last line is %M; a line before it says when the child was killed by a signal.
            let text = (try? String(contentsOfFile: rssPath, encoding: .utf8)) ?? ""
            if let last = text.split(separator: "\n").last, let kB = Double(last.trimmingCharacters(in: .whitespaces)) { peakKilobytes = kB }
            unlink(rssPath)
        }
        return ProcessRun(seconds: seconds, peakRSSMegabytes: peakKilobytes / 1024, status: (status >> 8) & 0xFF, stdout: stdout)
    }

    /// The median of `values`.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The nearest-rank percentile `p` (0…100) of `values`.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }

    /// Peak resident memory of this process so far, in MB.
    static func ownPeakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// `value` with `digits` decimals.
    static func format(_ value: Double, _ digits: Int = 3) -> String {
        String(format: "%.\(digits)f", value)
    }
}
