/// Where an input comes from: a file, or the process's standard input.
public enum Source: Sendable, Hashable, CustomStringConvertible {
    /// The file at this path.
    case file(String)
    /// Standard input, read once, as it arrives.
    case standardInput
    /// Bytes in memory (an HTTP request's body), called `name` in messages
    /// and in a run's `source`.
    case memory(name: String, bytes: [UInt8])

    /// The path, or `-` for standard input: how messages and a run's
    /// `source` name it.
    public var description: String {
        switch self {
        case .file(let path): path
        case .standardInput: "-"
        case .memory(let name, _): name
        }
    }

    /// The file's path, nil for standard input.
    public var path: String? {
        if case .file(let path) = self { return path }
        return nil
    }
}
