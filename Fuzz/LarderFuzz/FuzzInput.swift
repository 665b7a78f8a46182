/// One fuzz input split in two: the first bytes are settings that pick the
/// options of a run (chunk size, limits, flags), the rest is the payload, the
/// text under test. Missing settings bytes read as zero, so every input is
/// usable.
struct FuzzInput {
    /// The settings bytes, always `count` of them (zero-filled).
    let settings: [UInt8]
    /// The bytes after the settings.
    let payload: UnsafeRawBufferPointer

    /// Splits `data` after its first `count` bytes.
    init(_ data: UnsafeRawBufferPointer, settings count: Int) {
        let taken = min(count, data.count)
        settings = Array(data.prefix(taken)) + Array(repeating: 0, count: count - taken)
        payload = UnsafeRawBufferPointer(rebasing: data[taken...])
    }

    /// Whether bit `bit` of settings byte `index` is set.
    func flag(_ index: Int, bit: Int) -> Bool {
        settings[index] & (1 << bit) != 0
    }

    /// Bits `bits` of settings byte `index`, shifted down: a small number.
    func bits(_ index: Int, _ bits: ClosedRange<Int>) -> Int {
        Int(settings[index] >> bits.lowerBound) & ((1 << bits.count) - 1)
    }
}
