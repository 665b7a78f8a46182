import Foundation

/// The Python that reads Larder's Arrow output in tests: a real pyarrow.
///
/// Found as `$LARDER_PYTHON`, else the virtual environment
/// `.build/pyarrow-venv` of the package, which is made on first use
/// (`python3 -m venv` + `pip install pyarrow pandas pytest`, from PyPI) so that a
/// plain `swift test` works on a fresh machine. When neither can be had the
/// tests fail with instructions; they never skip.
public enum PyArrow {
    /// The package's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Why no interpreter could be had.
    public struct Unavailable: Error, CustomStringConvertible {
        /// What went wrong, and how to set it up by hand.
        public let description: String
    }

    /// The path of a Python interpreter that imports pyarrow.
    public static func interpreter() throws -> String {
        if let python = ProcessInfo.processInfo.environment["LARDER_PYTHON"] {
            guard imports(python) else { throw Unavailable(description: "LARDER_PYTHON=\(python) cannot import pyarrow") }
            return python
        }
        let venv = root + "/.build/pyarrow-venv"
        let python = venv + "/bin/python"
        // One test process at a time makes the environment; the others wait for it.
        try FileManager.default.createDirectory(atPath: root + "/.build", withIntermediateDirectories: true)
        let lock = open(root + "/.build/pyarrow-venv.lock", O_CREAT | O_RDWR, 0o644)
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }
        if imports(python) { return python }
        let steps = [["python3", "-m", "venv", venv], [venv + "/bin/pip", "install", "-q", "pyarrow", "pandas", "pytest"]]
        for step in steps {
            let (status, output) = run(step)
            guard status == 0 else {
                throw Unavailable(description: """
                    could not set up pyarrow (\(step.joined(separator: " ")) exited \(status)): \(output)
                    set it up by hand in the package root:
                      python3 -m venv .build/pyarrow-venv && .build/pyarrow-venv/bin/pip install pyarrow pandas pytest
                    or point LARDER_PYTHON at an interpreter that has pyarrow
                    """)
            }
        }
        guard imports(python) else { throw Unavailable(description: "\(python) still cannot import pyarrow after installing it") }
        return python
    }

    static func imports(_ python: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: python) && run([python, "-c", "import pyarrow"]).status == 0
    }

    /// Runs `command` (the first element through `/usr/bin/env`), returning its status and output.
    public static func run(_ command: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
