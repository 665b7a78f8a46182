/// What one feature's values looked like over one or more ingest runs, as
/// mergeable sketches: rows, nulls and NaNs exactly; for numbers
/// (`int64`, `float64`, `timestamp` in µs) the ``Moments`` and a
/// ``KLLSketch`` of the values; for vectors the same over each vector's L2
/// norm; for strings and bools a ``HyperLogLog`` distinct count and the
/// ``FrequentItems``. `bytes` features get rows and nulls only.
///
/// A run's statistics are gathered from its written rows in the write path
/// (``add(_:skipping:scratch:)``); the statistics of several runs are their
/// merge (``merge(_:)``), never a new pass over rows.
package struct FeatureStatistics: Sendable, Equatable {
    /// The feature's name.
    package let name: String
    /// The feature's type.
    package let type: FeatureType
    /// Rows seen (null or not).
    package private(set) var rows: Int64 = 0
    /// Null values.
    package private(set) var nulls: Int64 = 0
    /// NaN values (`float64`), or vectors holding a NaN; kept out of the sketches.
    package private(set) var nans: Int64 = 0
    /// Rows the runs rejected (`--on-error skip`) for any reason, on any
    /// column: with ``rows``, the rows the runs read.
    package private(set) var runRowsRejected: Int64 = 0
    /// Rows rejected because of this feature's value, by the rule that
    /// refused it (one of ``rejectionRules``).
    package private(set) var rejectedByRule: [String: Int64] = [:]

    /// The rules that reject a row for a feature's value: `type` (not a
    /// value of the feature's type), `missing` (absent from a record),
    /// and the expectations `not_null`, `min`, `max`, `allowed`, `allow_nan`.
    package static let rejectionRules = ["type", "missing", "not_null", "min", "max", "allowed", "allow_nan"]

    /// Rows rejected because of this feature's value, over every rule.
    package var rejected: Int64 { rejectedByRule.values.reduce(0, +) }

    /// Rows the runs read: those committed and those rejected.
    package var rowsRead: Int64 { rows + runRowsRejected }
    /// The present, non-NaN values: numbers, or vector norms.
    package private(set) var moments = Moments()
    /// The quantile sketch of the same values (numbers and vectors).
    package private(set) var quantiles: KLLSketch?
    /// The distinct-count sketch (strings and bools).
    package private(set) var distinct: HyperLogLog?
    /// The frequent values (strings and bools).
    package private(set) var frequent: FrequentItems?

    /// No rows yet, for feature `name` of `type`.
    package init(name: String, type: FeatureType) {
        self.name = name
        self.type = type
        switch type {
        case .int64, .float64, .timestamp, .vector: quantiles = KLLSketch()
        case .string, .bool:
            distinct = HyperLogLog()
            frequent = FrequentItems()
        case .bytes: break
        }
    }

    /// Whether the feature's values are numbers (vector norms count).
    package var isNumeric: Bool { quantiles != nil }

    /// Whether the feature's values are categories (strings, bools).
    package var isCategorical: Bool { frequent != nil }

    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)
    private static let trueHash = trueBytes.withUnsafeBytes { ItemHash.of($0) }
    private static let falseHash = falseBytes.withUnsafeBytes { ItemHash.of($0) }

    /// Adds the rows of `column` (of this feature's type) that `bad` does not
    /// mark; `scratch` is a buffer reused between calls.
    ///
    /// - Complexity: O(n) amortized, plus O(log k) per number for the quantile sketch.
    package mutating func add(_ column: Column, skipping bad: Bitmap?, scratch: inout [Double]) {
        precondition(column.type == type, "statistics of \(type) given a \(column.type) column")
        let n = column.count
        let skipped = bad?.nonzeroBitCount ?? 0
        rows += Int64(n - skipped)
        let bad = skipped > 0 ? bad : nil
        @inline(__always) func kept(_ row: Int) -> Bool { bad == nil || !bad.unsafelyUnwrapped[row] }
        scratch.removeAll(keepingCapacity: true)
        switch type {
        case .int64, .timestamp:
            for row in 0..<n where kept(row) {
                if column.validity[row] { scratch.append(Double(column.ints[row])) } else { nulls += 1 }
            }
        case .float64:
            for row in 0..<n where kept(row) {
                guard column.validity[row] else { nulls += 1; continue }
                let v = column.doubles[row]
                if v.isNaN { nans += 1 } else { scratch.append(v) }
            }
        case .vector(let d):
            for row in 0..<n where kept(row) {
                guard column.validity[row] else { nulls += 1; continue }
                var sum = 0.0
                for i in (row * d)..<((row + 1) * d) {
                    let x = Double(column.floats[i])
                    sum += x * x
                }
                if sum.isNaN { nans += 1 } else { scratch.append(sum.squareRoot()) }
            }
        case .string:
            column.bytes.withUnsafeBytes { bytes in
                for row in 0..<n where kept(row) {
                    guard column.validity[row] else { nulls += 1; continue }
                    let value = UnsafeRawBufferPointer(rebasing: bytes[column.offsets[row]..<column.offsets[row + 1]])
                    let hash = ItemHash.of(value)
                    distinct!.add(hash: hash)
                    frequent!.add(hash: hash) { Array(value) }
                }
            }
        case .bool:
            var trues: Int64 = 0, falses: Int64 = 0
            for row in 0..<n where kept(row) {
                guard column.validity[row] else { nulls += 1; continue }
                if column.bools[row] { trues += 1 } else { falses += 1 }
            }
            if trues > 0 {
                distinct!.add(hash: Self.trueHash)
                frequent!.add(hash: Self.trueHash, count: trues) { Self.trueBytes }
            }
            if falses > 0 {
                distinct!.add(hash: Self.falseHash)
                frequent!.add(hash: Self.falseHash, count: falses) { Self.falseBytes }
            }
        case .bytes:
            for row in 0..<n where kept(row) && !column.validity[row] { nulls += 1 }
        }
        guard !scratch.isEmpty else { return }
        scratch.withUnsafeBufferPointer { values in
            moments.merge(Moments(values))
            quantiles!.add(values)
        }
    }

    /// Counts `rows` rows rejected because this feature's value broke `rule`.
    package mutating func addRejected(rows count: Int64, rule: String) {
        rejectedByRule[rule, default: 0] += count
    }

    /// Counts `rows` rows the run rejected for any reason (the denominator of reject rates).
    package mutating func addRunRejected(rows count: Int64) {
        runRowsRejected += count
    }

    /// Adds the rows that `other`, statistics of the same feature, summarizes.
    package mutating func merge(_ other: FeatureStatistics) {
        precondition(other.type == type, "statistics of \(type) merged with \(other.type)")
        rows += other.rows
        nulls += other.nulls
        nans += other.nans
        runRowsRejected += other.runRowsRejected
        rejectedByRule.merge(other.rejectedByRule, uniquingKeysWith: +)
        moments.merge(other.moments)
        if let q = other.quantiles { quantiles!.merge(q) }
        if let d = other.distinct { distinct!.merge(d) }
        if let f = other.frequent { frequent!.merge(f) }
    }

    /// The compact binary form (version 2): rows, nulls, NaNs, the run's
    /// rejected rows, this feature's rejected rows by rule (a count, then
    /// name and rows for each, by name), the moments, then the sketches
    /// this type has, each with its own version. Version 1 had no rejected rows.
    package func serialized() -> [UInt8] {
        var out = SketchWriter()
        out.put(UInt8(2))
        out.put(rows)
        out.put(nulls)
        out.put(nans)
        out.put(runRowsRejected)
        out.put(UInt32(rejectedByRule.count))
        for (rule, count) in rejectedByRule.sorted(by: { $0.key < $1.key }) {
            out.put(bytes: Array(rule.utf8))
            out.put(count)
        }
        moments.write(to: &out)
        quantiles?.write(to: &out)
        distinct?.write(to: &out)
        frequent?.write(to: &out)
        return out.bytes
    }

    /// Reads what ``serialized()`` wrote for feature `name` of `type`.
    package init(name: String, type: FeatureType, serialized bytes: [UInt8]) throws(LarderError) {
        self.init(name: name, type: type)
        var input = SketchReader(bytes, what: "statistics of feature \(name)")
        let version = try input.version(in: 1...2)
        rows = try input.integer()
        nulls = try input.integer()
        nans = try input.integer()
        if version >= 2 {
            runRowsRejected = try input.integer()
            for _ in 0..<(try input.count(atMost: Self.rejectionRules.count)) {
                let rule = String(decoding: try input.byteString(), as: UTF8.self)
                guard Self.rejectionRules.contains(rule), rejectedByRule[rule] == nil else { throw input.malformed("rejection rule \"\(rule)\"") }
                let count: Int64 = try input.integer()
                guard count >= 0 else { throw input.malformed("counts do not add up") }
                rejectedByRule[rule] = count
            }
        }
        moments = try Moments(from: &input)
        if quantiles != nil { quantiles = try KLLSketch(from: &input) }
        if distinct != nil { distinct = try HyperLogLog(from: &input) }
        if frequent != nil { frequent = try FrequentItems(from: &input) }
        guard input.isAtEnd else { throw input.malformed("bytes after the end") }
        // Sketches merge only with sketches of the same size.
        guard quantiles.map({ $0.k == KLLSketch.defaultK }) ?? true, frequent.map({ $0.k == FrequentItems.defaultK }) ?? true else {
            throw input.malformed("a sketch of another size than this build makes")
        }
        guard rows >= 0, nulls >= 0, nans >= 0, runRowsRejected >= rejected, nulls + nans + moments.count <= rows || type == .bytes else {
            throw input.malformed("counts do not add up")
        }
    }
}
