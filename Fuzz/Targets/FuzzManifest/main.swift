import LarderFuzz

/// libFuzzer's entry point: runs the manifest reader on one input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ManifestFuzz.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

runLibFuzzer(fuzzManifest)
