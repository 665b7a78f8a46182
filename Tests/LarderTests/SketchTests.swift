import Testing
@testable import Larder

/// The sketches against exact answers on seeded random data: rank error
/// within the KLL bound, distinct counts within the HLL error, heavy hitters
/// found, merge(a, b) ≈ sketch(a ∪ b), and serialization round trips.
@Suite struct SketchTests {
    /// Random data of a few shapes: uniform, normal-ish, heavy-tailed, few distinct values, sorted.
    static func data(seed: UInt64, count: Int) -> [Double] {
        var rng = SplitMix64(seed: seed)
        let shape = seed % 5
        var values = (0..<count).map { _ -> Double in
            switch shape {
            case 0: return Double.random(in: -1e6...1e6, using: &rng)
            case 1: return (0..<6).reduce(0.0) { acc, _ in acc + Double.random(in: 0..<1, using: &rng) } + 1e9
            case 2: return 1 / Double.random(in: 1e-6..<1, using: &rng)
            case 3: return Double(Int.random(in: 0..<20, using: &rng))
            default: return Double(Int.random(in: 0..<1_000_000, using: &rng))
            }
        }
        if shape == 4 { values.sort() }
        return values
    }

    /// The largest difference between the sketch's rank and the true rank, over the data's percentiles.
    static func maxRankError(_ sketch: KLLSketch, _ values: [Double]) -> Double {
        let sorted = values.sorted()
        let view = sketch.sortedView()
        var worst = 0.0
        for p in 0...100 {
            let x = sorted[Swift.min(sorted.count - 1, p * sorted.count / 100)]
            // True rank: the fraction ≤ x.
            var lo = 0, hi = sorted.count
            while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] <= x { lo = mid + 1 } else { hi = mid } }
            worst = Swift.max(worst, abs(view.rank(x) - Double(lo) / Double(sorted.count)))
        }
        return worst
    }

    static func sketch(_ values: [Double], seed: UInt64 = 7) -> KLLSketch {
        var s = KLLSketch(seed: seed)
        values.withUnsafeBufferPointer { s.add($0) }
        return s
    }

    @Test func momentsEqualATwoPassComputation() {
        for seed in UInt64(0)..<50 {
            let values = Self.data(seed: seed, count: 1 + Int(seed * 397 % 5000))
            let mean = values.reduce(0, +) / Double(values.count)
            let m2 = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            var whole = Moments()
            var merged = Moments()
            let cut = values.count / 3
            for part in [values[..<cut], values[cut...]] {
                let m = Array(part).withUnsafeBufferPointer { Moments($0) }
                merged.merge(m)
            }
            for v in values { whole.add(v) }
            for m in [whole, merged] {
                #expect(m.count == Int64(values.count))
                #expect(m.min == values.min()! && m.max == values.max()!)
                #expect(abs(m.mean - mean) <= 1e-9 * Swift.max(1, abs(mean)), "seed \(seed)")
                #expect(abs(m.m2 - m2) <= 1e-7 * Swift.max(1, m2), "seed \(seed): \(m.m2) vs \(m2)")
            }
        }
    }

    @Test func momentsStayAccurateOnALargeOffset() {
        // Naive sum-of-squares loses everything here; Welford/Chan keep the variance of 1e9 + {0,1,2,3}.
        var m = Moments()
        for i in 0..<1000 { m.merge([1e9 + Double(i % 4)].withUnsafeBufferPointer { Moments($0) }) }
        #expect(abs(m.variance! - 1.2512512512512513) < 1e-8)
    }

    @Test func kllRanksAreWithinTheDocumentedBound() {
        var worst = 0.0
        for seed in UInt64(0)..<150 {
            let values = Self.data(seed: seed, count: [1000, 10_000, 60_000][Int(seed % 3)])
            let s = Self.sketch(values, seed: seed)
            #expect(s.count == Int64(values.count))
            #expect(s.retained < 4 * KLLSketch.defaultK)
            worst = Swift.max(worst, Self.maxRankError(s, values))
        }
        #expect(worst <= KLLSketch.rankErrorBound, "worst rank error \(worst)")
        print("KLL k=256: worst normalized rank error over 150 seeded inputs: \(worst)")
    }

    @Test func kllKeepsSmallInputsExactly() {
        let values = Self.data(seed: 3, count: 200)
        #expect(Self.maxRankError(Self.sketch(values), values) == 0)
        let view = Self.sketch(values).sortedView()
        #expect(view.quantile(0) == values.min() && view.quantile(1) == values.max())
        #expect(view.quantile(0.5) == values.sorted()[99])
    }

    @Test func mergedKLLSketchesHaveTheBoundOfTheUnion() {
        var worst = 0.0
        for seed in UInt64(0)..<60 {
            let a = Self.data(seed: seed, count: 20_000), b = Self.data(seed: seed &+ 1000, count: 5000 + Int(seed) * 300)
            var merged = Self.sketch(a, seed: 1)
            merged.merge(Self.sketch(b, seed: 2))
            #expect(merged.count == Int64(a.count + b.count))
            #expect(merged.min == Swift.min(a.min()!, b.min()!) && merged.max == Swift.max(a.max()!, b.max()!))
            worst = Swift.max(worst, Self.maxRankError(merged, a + b))
        }
        #expect(worst <= KLLSketch.rankErrorBound, "worst rank error \(worst)")
        // Many small sketches merged (runs of a day each) keep the bound too.
        let parts = (0..<100).map { Self.data(seed: UInt64($0) * 5, count: 2000) }
        var all = KLLSketch()
        for part in parts { all.merge(Self.sketch(part, seed: 9)) }
        #expect(Self.maxRankError(all, parts.flatMap { $0 }) <= KLLSketch.rankErrorBound)
    }

    /// A sketch as stored and read back.
    static func stored(_ sketch: KLLSketch) throws -> KLLSketch {
        var out = SketchWriter()
        sketch.write(to: &out)
        var input = SketchReader(out.bytes, what: "KLL")
        return try KLLSketch(from: &input)
    }

    /// The bytes a sketch is stored as.
    static func bytes(_ sketch: KLLSketch) -> [UInt8] {
        var out = SketchWriter()
        sketch.write(to: &out)
        return out.bytes
    }

    @Test func storedSketchesMergeExactlyLikeTheOriginals() throws {
        // Stored sketches keep level 0 sorted, and merging sorted level 0s
        // skips the sort: the merged sketch must be the very one the
        // in-memory sketches give, item for item.
        for seed in UInt64(0)..<30 {
            let parts = (0..<12).map { Self.sketch(Self.data(seed: seed &* 31 &+ UInt64($0), count: 1 + Int((seed + UInt64($0)) * 977 % 9000)), seed: UInt64($0)) }
            var fromMemory = KLLSketch(seed: seed), fromStore = KLLSketch(seed: seed)
            for part in parts {
                fromMemory.merge(part)
                let back = try Self.stored(part)
                #expect(back == part && Self.bytes(back) == Self.bytes(part))
                fromStore.merge(back)
            }
            #expect(fromStore == fromMemory)
            #expect(Self.bytes(fromStore) == Self.bytes(fromMemory))
            // Stored again after merging, the two read back equal too.
            #expect(try Self.stored(fromStore) == fromMemory)
        }
    }

    @Test func kllIsDeterministicAndRoundTrips() throws {
        let values = Self.data(seed: 11, count: 50_000)
        let s = Self.sketch(values)
        #expect(s == Self.sketch(values))
        var out = SketchWriter()
        s.write(to: &out)
        var input = SketchReader(out.bytes, what: "KLL")
        let back = try KLLSketch(from: &input)
        #expect(back == s && input.isAtEnd)
        // A damaged weight is caught.
        var bytes = out.bytes
        bytes[3] ^= 1
        var bad = SketchReader(bytes, what: "KLL")
        #expect(throws: LarderError.self) { try KLLSketch(from: &bad) }
        var short = SketchReader(Array(out.bytes.dropLast()), what: "KLL")
        #expect(throws: LarderError.self) { try KLLSketch(from: &short) }
    }

    static func hll(_ range: Range<Int64>) -> HyperLogLog {
        var h = HyperLogLog()
        for v in range { h.add(hash: ItemHash.of(v)) }
        return h
    }

    @Test func distinctCountsAreWithinTheHLLError() {
        #expect(HyperLogLog().estimate == 0)
        var worst = 0.0
        for (i, n) in [1, 2, 10, 100, 1000, 3000, 8000, 15_000, 40_000, 200_000].enumerated() {
            let start = Int64(i) * 10_000_000
            let h = Self.hll(start..<(start + Int64(n)))
            let error = abs(h.estimate - Double(n)) / Double(n)
            worst = Swift.max(worst, error)
            #expect(error <= 3 * HyperLogLog.relativeStandardError, "n \(n): \(h.estimate)")
        }
        // Small counts are all but exact.
        #expect(abs(Self.hll(0..<10).estimate - 10) < 0.1)
        // Repeats do not count.
        var h = Self.hll(0..<500)
        for v in Int64(0)..<500 { h.add(hash: ItemHash.of(v)) }
        #expect(h == Self.hll(0..<500))
    }

    @Test func hllMergeIsTheSketchOfTheUnion() throws {
        var a = Self.hll(0..<30_000)
        a.merge(Self.hll(20_000..<50_000))
        #expect(a == Self.hll(0..<50_000))
        var out = SketchWriter()
        a.write(to: &out)
        var input = SketchReader(out.bytes, what: "HLL")
        #expect(try HyperLogLog(from: &input) == a && input.isAtEnd)
        // A register above the largest rank, or too few registers, is refused.
        var high = out.bytes
        high[high.count - 1] = UInt8(64 - HyperLogLog.lgK + 2) // ranks go up to 64 − lg_k + 1
        var highInput = SketchReader(high, what: "HLL")
        #expect(throws: LarderError.self) { try HyperLogLog(from: &highInput) }
        var short = SketchReader(Array(out.bytes.dropLast()), what: "HLL")
        #expect(throws: LarderError.self) { try HyperLogLog(from: &short) }
    }

    static func zipf(seed: UInt64, count: Int, distinct: Int) -> [String] {
        var rng = SplitMix64(seed: seed)
        // Value i has weight 1/(i+1).
        let weights = (0..<distinct).map { 1.0 / Double($0 + 1) }
        let total = weights.reduce(0, +)
        var cumulative: [Double] = []
        var sum = 0.0
        for w in weights { sum += w / total; cumulative.append(sum) }
        return (0..<count).map { _ in
            let u = Double.random(in: 0..<1, using: &rng)
            var lo = 0, hi = distinct - 1
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
            return "value-\(lo)"
        }
    }

    static func items(_ values: [String]) -> FrequentItems {
        var f = FrequentItems()
        for v in values {
            let bytes = Array(v.utf8)
            f.add(hash: bytes.withUnsafeBytes { ItemHash.of($0) }) { bytes }
        }
        return f
    }

    static func checkHeavyHitters(_ f: FrequentItems, _ values: [String]) {
        var exact: [String: Int64] = [:]
        for v in values { exact[v, default: 0] += 1 }
        let n = Int64(values.count)
        #expect(f.total == n)
        #expect(f.maximumError <= n / Int64(f.k + 1))
        let reported = Dictionary(uniqueKeysWithValues: f.items.map { (String(decoding: $0.value, as: UTF8.self), $0) })
        for item in reported.values {
            let truth = exact[String(decoding: item.value, as: UTF8.self)]!
            #expect(item.lowerBound <= truth && truth <= item.upperBound)
        }
        for (value, count) in exact where count > n / Int64(f.k + 1) {
            #expect(reported[value] != nil, "heavy hitter \(value) (\(count) of \(n)) missed")
        }
    }

    @Test func frequentItemsFindTheHeavyHitters() {
        for seed in UInt64(0)..<20 {
            let values = Self.zipf(seed: seed, count: 20_000, distinct: [5, 300, 5000][Int(seed % 3)])
            Self.checkHeavyHitters(Self.items(values), values)
        }
        // Few values: counted exactly.
        let few = Self.zipf(seed: 1, count: 1000, distinct: 5)
        let f = Self.items(few)
        #expect(f.maximumError == 0 && f.items.count == 5)
        #expect(f.items[0].value == Array("value-0".utf8) && f.items[0].lowerBound == Int64(few.filter { $0 == "value-0" }.count))
    }

    @Test func mergedFrequentItemsKeepTheGuarantee() throws {
        for seed in UInt64(0)..<10 {
            let a = Self.zipf(seed: seed, count: 15_000, distinct: 3000)
            // The second part has its own dominant value.
            let b = Self.zipf(seed: seed + 50, count: 10_000, distinct: 3000).map { $0 == "value-0" ? "new-dominant" : $0 }
            var merged = Self.items(a)
            merged.merge(Self.items(b))
            Self.checkHeavyHitters(merged, a + b)
            var out = SketchWriter()
            merged.write(to: &out)
            var input = SketchReader(out.bytes, what: "items")
            #expect(try FrequentItems(from: &input) == merged)
        }
    }

    @Test func featureStatisticsCountNullsNaNsAndSkipBadRows() throws {
        var column = Column(type: .float64)
        for v: Double? in [1, nil, .nan, 4, 5, nil] { if let v { column.append(v) } else { column.appendNull() } }
        var bad = Bitmap(repeating: false, count: 6)
        bad[4] = true // the 5 is a rejected row
        var s = FeatureStatistics(name: "x", type: .float64)
        var scratch: [Double] = []
        s.add(column, skipping: bad, scratch: &scratch)
        #expect(s.rows == 5 && s.nulls == 2 && s.nans == 1)
        #expect(s.moments.count == 2 && s.moments.mean == 2.5 && s.moments.max == 4)
        #expect(try FeatureStatistics(name: "x", type: .float64, serialized: s.serialized()) == s)

        var strings = Column(type: .string)
        for v in ["a", "b", "a", ""] { strings.append(v) }
        strings.appendNull()
        var t = FeatureStatistics(name: "s", type: .string)
        t.add(strings, skipping: nil, scratch: &scratch)
        #expect(t.rows == 5 && t.nulls == 1 && abs(t.distinct!.estimate - 3) < 0.01)
        #expect(t.frequent!.items.map { String(decoding: $0.value, as: UTF8.self) } == ["a", "", "b"])
        #expect(try FeatureStatistics(name: "s", type: .string, serialized: t.serialized()) == t)

        var vectors = Column(type: .vector(dimension: 2))
        vectors.append(vector: [3, 4])
        vectors.append(vector: [Float.nan, 1])
        var u = FeatureStatistics(name: "v", type: .vector(dimension: 2))
        u.add(vectors, skipping: nil, scratch: &scratch)
        #expect(u.nans == 1 && u.moments.mean == 5)

        var bools = Column(type: .bool)
        for b in [true, true, false] { bools.append(b) }
        var w = FeatureStatistics(name: "b", type: .bool)
        w.add(bools, skipping: nil, scratch: &scratch)
        #expect(w.frequent!.items.map(\.lowerBound) == [2, 1])
        #expect(throws: LarderError.self) { try FeatureStatistics(name: "b", type: .bool, serialized: Array(w.serialized().dropLast())) }
        // A quantile sketch of another k (bytes 79–80: after the counts, the rejections and the moments) is refused, not merged.
        var otherK = s.serialized()
        #expect(otherK[78] == 1 && otherK[79] == 0 && otherK[80] == 1)
        otherK[80] = 0
        otherK[79] = 128
        #expect(throws: LarderError.self) { try FeatureStatistics(name: "x", type: .float64, serialized: otherK) }
    }
}
