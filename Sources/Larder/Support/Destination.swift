/// Where an output goes: a file, or the process's standard output.
///
/// A file destination is written to a temporary file beside it and renamed
/// into place only when the output is complete (see ``FeatureStore/export(view:version:range:format:to:)``).
public enum Destination: Sendable, Hashable, CustomStringConvertible {
    /// The file at this path, created or replaced.
    case file(String)
    /// Standard output, written as the bytes are produced.
    case standardOutput

    /// The path, or `-` for standard output.
    public var description: String {
        switch self {
        case .file(let path): path
        case .standardOutput: "-"
        }
    }
}
