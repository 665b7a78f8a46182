import LarderFuzz

/// libFuzzer's entry point: runs the definitions parser on one input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzDefinitions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    DefinitionsFuzz.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

runLibFuzzer(fuzzDefinitions)
