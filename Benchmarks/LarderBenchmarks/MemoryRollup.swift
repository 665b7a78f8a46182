import Foundation

/// The memory of this process as `/proc/self/smaps_rollup` sums it over
/// every mapping, in kB.
struct MemoryRollup {
    /// Field name (`Rss`, `Pss`, `Shared_Clean`, `Private_Dirty`,
    /// `Anonymous`, …) → kB.
    let fields: [String: Int]

    /// The current figures of this process; empty when the file cannot be read.
    static func current() -> MemoryRollup {
        let text = (try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8)) ?? ""
        var fields: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasSuffix(":"), let kB = Int(parts[1]) else { continue }
            fields[String(parts[0].dropLast())] = kB
        }
        return MemoryRollup(fields: fields)
    }

    /// Resident memory.
    var rss: Int { fields["Rss"] ?? 0 }
    /// Resident memory with each shared page divided among its sharers.
    var pss: Int { fields["Pss"] ?? 0 }
    /// Resident pages some other process maps too.
    var shared: Int { (fields["Shared_Clean"] ?? 0) + (fields["Shared_Dirty"] ?? 0) }
    /// Resident pages no other process maps (file pages included).
    var privateBytes: Int { (fields["Private_Clean"] ?? 0) + (fields["Private_Dirty"] ?? 0) }
    /// Anonymous memory (heap, stacks; not file-backed).
    var anonymous: Int { fields["Anonymous"] ?? 0 }

    /// The figures as `key=value` pairs, each name prefixed by `prefix`, in MB.
    func line(_ prefix: String) -> String {
        [("rss", rss), ("pss", pss), ("shared", shared), ("private", privateBytes), ("anonymous", anonymous)]
            .map { "\(prefix)\($0.0)_mb=\(Measure.format(Double($0.1) / 1024, 1))" }.joined(separator: " ")
    }
}
