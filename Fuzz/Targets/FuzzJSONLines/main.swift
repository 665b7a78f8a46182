import LarderFuzz

/// libFuzzer's entry point: runs the JSON Lines reader on one input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzJSONLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    JSONLinesFuzz.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

runLibFuzzer(fuzzJSONLines)
