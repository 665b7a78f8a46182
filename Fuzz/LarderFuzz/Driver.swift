#if canImport(Glibc)
import Glibc
#endif
import CLibFuzzer

/// Runs libFuzzer on `testOneInput` with the process's command line and exits
/// with its status.
///
/// SwiftPM links every executable with its module's `main` renamed (so that
/// tests can link it), which leaves libFuzzer's own `main` out; each fuzz
/// target's top-level code calls this instead.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}
