/// The files one operation writes, kept safe (semantics §5): before anything
/// is written each output is checked against the store's own files, the
/// operation's inputs and the other outputs (by identity, not spelling); each
/// file is then written beside its target and renamed into place by
/// ``commit()``, only once the whole operation has succeeded. Outputs never
/// committed are removed, leaving their targets as they were.
///
/// ```swift
/// let outputs = try OutputFiles(store: StoreFiles.all(store.path), inputs: [.init("spine", path: spine)],
///                               outputs: [.init("output", destination: output)])
/// var sink = try outputs.sink(for: output)   // … write …
/// try outputs.commit()
/// ```
package final class OutputFiles {
    /// A file an operation reads, named by its role for messages.
    package struct Input {
        /// What the file is to the operation (`input`, `spine`, `manifest`).
        package var role: String
        /// Its path; `-` (standard input) is never checked.
        package var path: String

        /// The input `path` in the role `role`.
        package init(_ role: String, path: String) {
            self.role = role
            self.path = path
        }
    }

    /// A file an operation writes, named by its role for messages.
    package struct Output {
        /// What the file is to the operation (`output`, `manifest`, `reject file`).
        package var role: String
        /// Where it goes.
        package var destination: Destination

        /// The output to `destination` in the role `role`.
        package init(_ role: String, destination: Destination) {
            self.role = role
            self.destination = destination
        }
    }

    /// The outputs, in the order they were declared.
    private let outputs: [Output]
    /// The temporary files opened so far, by target path.
    private var pending: [String: PendingFile] = [:]
    /// The order in which pending files were opened (and are committed).
    private var order: [String] = []

    /// Checks `outputs` against the store's files `store` (the database
    /// first, then its companions, such as `-wal`), every input and each
    /// other; writes nothing.
    ///
    /// - Throws: ``LarderError/usage(_:)`` naming the output and what it
    ///   would overwrite, or an output that is a directory or an empty path;
    ///   ``LarderError/io(path:message:)`` when an output's folder does not exist.
    package init(store: [String], inputs: [Input], outputs: [Output]) throws(LarderError) {
        for (i, output) in outputs.enumerated() {
            for earlier in outputs[..<i] where Self.same(earlier.destination, output.destination) {
                throw .invalidInput("the \(earlier.role) and the \(output.role) both go to \(output.destination); give each its own file")
            }
            guard case .file(let path) = output.destination else { continue }
            if path.isEmpty { throw .invalidInput("the \(output.role) path is empty") }
            if FilePath.isDirectory(path) { throw .invalidInput("the \(output.role) \(path) is a directory; give a file path") }
            let folder = FilePath.split(path).folder
            guard FilePath.isDirectory(folder) else { throw .io(path: path, message: "cannot write the \(output.role): no folder \(folder)") }
            for file in store where FilePath.sameFile(path, file) {
                let what = file == store[0] ? "the store itself" : "the store's \(file.dropFirst(store[0].count + 1)) file"
                throw .conflict("refusing to write the \(output.role) to \(path): it is \(what) (\(file)); an output never replaces the store")
            }
            for input in inputs where input.path != "-" && FilePath.sameFile(path, input.path) {
                throw .conflict("refusing to write the \(output.role) to \(path): it is the \(input.role) (\(input.path)); an output never replaces an input")
            }
        }
        self.outputs = outputs
    }

    /// Whether two destinations are one: both standard output, or one file.
    private static func same(_ a: Destination, _ b: Destination) -> Bool {
        switch (a, b) {
        case (.standardOutput, .standardOutput): true
        case (.file(let x), .file(let y)): FilePath.sameFile(x, y)
        default: false
        }
    }

    /// The temporary file for the output at `path`, created on first use.
    func file(_ path: String) throws(LarderError) -> PendingFile {
        precondition(outputs.contains { $0.destination == .file(path) }, "\(path) was not declared as an output")
        if let file = pending[path] { return file }
        let file = try PendingFile(target: path)
        pending[path] = file
        order.append(path)
        return file
    }

    /// A sink for `destination`: standard output, or the temporary file of a
    /// declared output (committed by ``commit()``, not by the sink).
    func sink(for destination: Destination) throws(LarderError) -> ByteSink {
        switch destination {
        case .standardOutput: ByteSink.standardOutput()
        case .file(let path): ByteSink(pending: try file(path), commitsOnClose: false)
        }
    }

    /// Renames every output written into place, in the order they were
    /// opened. Call it once, when the operation has succeeded.
    package func commit() throws(LarderError) {
        for path in order { try pending[path]!.commit() }
    }
}
