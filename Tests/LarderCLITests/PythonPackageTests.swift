import Foundation
import Testing

/// The Python package (`python/`) against the C library that `swift test`
/// builds beside the test bundle (`libLarderC`): runs its pytest suite with
/// the pyarrow interpreter and fails when any of its tests fails.
@Suite struct PythonPackageTests {
    @Test func pytestSuitePasses() throws {
        let python = try PyArrow.interpreter()
        let products = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent()
        let library = products.appendingPathComponent("libLarderC.so").path
        try #require(FileManager.default.fileExists(atPath: library),
                     "no \(library): `swift test` builds it with the package's products (or: swift build --product LarderC)")
        try requirePytest(python)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
        process.currentDirectoryURL = URL(fileURLWithPath: PyArrow.root).appendingPathComponent("python")
        var environment = ProcessInfo.processInfo.environment
        environment["LARDER_LIBRARY"] = library
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment.removeValue(forKey: "LARDER_STORE")
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "pytest failed:\n\(text)")
        #expect(text.contains(" passed"), "\(text)")
    }

    /// pytest in `python`: installed into the package's own virtual
    /// environment when missing there; another interpreter must have it.
    private func requirePytest(_ python: String) throws {
        func has() -> Bool { PyArrow.run([python, "-c", "import pytest"]).status == 0 }
        if has() { return }
        if python.contains("/.build/pyarrow-venv/") {
            let (status, output) = PyArrow.run([python, "-m", "pip", "install", "-q", "pytest"])
            try #require(status == 0, "could not install pytest into \(python): \(output)")
        }
        try #require(has(), "\(python) cannot import pytest: install it (\(python) -m pip install pytest) or point LARDER_PYTHON at one that can")
    }
}
