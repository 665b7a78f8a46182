/// Wall-clock time since creation.
struct Stopwatch {
    private let start = Timestamp.now()
    /// Seconds elapsed.
    var seconds: Double { Double(Timestamp.now() - start) / 1_000_000 }
}
