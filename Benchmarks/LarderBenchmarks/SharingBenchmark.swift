import ArgumentParser
import Foundation
import Larder

/// `sharing`: the memory a second process adds when it opens a store whose
/// view is already snapshotted. The benchmark spawns itself in a child mode
/// (``SharingChild``) that opens the store, makes a reader, reads random
/// keys and reports `/proc/self/smaps_rollup` before and after; first alone,
/// then while this process holds the same snapshot mapped and read.
struct SharingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sharing",
                                                    abstract: "Private vs shared memory of a second process opening a snapshotted store.")

    @OptionGroup var options: ExistingStoreOptions

    /// Keys each process reads.
    @Option(help: "Random keys each process reads.")
    var reads = 1000

    func run() throws {
        let executable = try Self.ownExecutable()
        let arguments = ["sharing-child", "--store", options.store, "--reads", String(reads), "--entities", String(options.entities),
                         "--first-key", String(options.firstKey), "--feature-set", options.featureSet]
        try measure(executable, arguments, label: "alone")
        // This process now maps the snapshot and reads the same keys, as a server beside a CLI call would.
        let store = try FeatureStore(path: options.store, options: .init(create: false))
        let reader = try store.reader(featureSet: options.featureSet)
        let found = try SharingChild.readRandomKeys(reader, count: reads, in: options.keys)
        let mapped = try store.cacheStatistics().first?.mapped ?? false
        print("sharing parent mapped=\(mapped) keys_with_rows=\(found)/\(reads) \(MemoryRollup.current().line(""))")
        try measure(executable, arguments, label: "beside_parent")
    }

    /// Spawns the child `repeats` times and prints the medians of its figures.
    func measure(_ executable: String, _ arguments: [String], label: String) throws {
        var figures: [String: [Double]] = [:]
        var last = ""
        for _ in 0..<options.repeats {
            let run = try Measure.run(executable, arguments)
            guard run.status == 0, let line = run.stdout.split(separator: "\n").last(where: { $0.hasPrefix("sharing_child ") }) else {
                throw ValidationError("sharing-child failed (\(run.status)): \(run.stdout)")
            }
            last = String(line)
            for pair in line.split(separator: " ").dropFirst() {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, let value = Double(kv[1]) { figures[String(kv[0]), default: []].append(value) }
            }
        }
        let order = ["added_private_mb", "added_anonymous_mb", "added_rss_mb", "after_shared_mb", "after_private_mb", "after_anonymous_mb",
                     "after_rss_mb", "after_pss_mb", "before_private_mb", "before_anonymous_mb", "open_read_ms"]
        let medians = order.compactMap { key in figures[key].map { "\(key)=\(Measure.format(Measure.median($0), 1))" } }
        let flags = last.split(separator: " ").filter { $0.hasPrefix("mapped=") || $0.hasPrefix("keys_with_rows=") }
        print((["sharing child=\(label) runs=\(options.repeats)"] + medians + flags.map(String.init)).joined(separator: " "))
    }

    /// The path of this executable.
    static func ownExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw ValidationError("cannot read /proc/self/exe") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `sharing-child` (internal to `sharing`): opens the store, makes a reader,
/// reads random keys, and prints its memory before and after.
struct SharingChild: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sharing-child", abstract: "The child process of `sharing`.",
                                                    shouldDisplay: false)

    @OptionGroup var options: ExistingStoreOptions

    /// Keys read.
    @Option(help: "Random keys read.")
    var reads = 1000

    func run() throws {
        let before = MemoryRollup.current()
        let start = DispatchTime.now()
        let store = try FeatureStore(path: options.store, options: .init(create: false))
        let reader = try store.reader(featureSet: options.featureSet)
        let found = try Self.readRandomKeys(reader, count: reads, in: options.keys)
        let elapsed = seconds(since: start) * 1000
        let after = MemoryRollup.current()
        let mapped = try store.cacheStatistics().first?.mapped ?? false
        func mb(_ kB: Int) -> String { Measure.format(Double(kB) / 1024, 1) }
        print("sharing_child added_private_mb=\(mb(after.privateBytes - before.privateBytes)) added_anonymous_mb=\(mb(after.anonymous - before.anonymous)) "
              + "added_rss_mb=\(mb(after.rss - before.rss)) \(before.line("before_")) \(after.line("after_")) "
              + "open_read_ms=\(Measure.format(elapsed, 1)) mapped=\(mapped) keys_with_rows=\(found)/\(reads)")
    }

    /// Reads `count` keys drawn from `keys` (the same ones in every
    /// process: a fixed seed) and each one's feature statuses; returns how
    /// many had a row.
    static func readRandomKeys(_ reader: FeatureReader, count: Int, in keys: Range<Int64>) throws -> Int {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var found = 0
        for _ in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let key = keys.lowerBound + Int64((state >> 11) % UInt64(keys.count))
            let row = try reader.read(key: key)
            if (0..<row.count).contains(where: { row.status(at: $0) != .notFound }) { found += 1 }
        }
        return found
    }
}
