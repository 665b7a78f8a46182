import LarderFuzz

/// libFuzzer's entry point: runs the CSV reader on one input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CSVFuzz.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

runLibFuzzer(fuzzCSV)
