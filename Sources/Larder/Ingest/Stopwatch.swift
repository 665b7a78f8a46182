/// Wall-clock time since creation.
struct Stopwatch {
    private let start = Timestamp.nowMicroseconds()
    /// Seconds elapsed.
    var seconds: Double { Double(Timestamp.nowMicroseconds() - start) / 1_000_000 }
}
