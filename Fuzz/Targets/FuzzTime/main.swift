import LarderFuzz

/// libFuzzer's entry point: runs timestamp and duration parsing on one input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTime(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    TimeFuzz.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

runLibFuzzer(fuzzTime)
