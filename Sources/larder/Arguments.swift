import Larder

extension Destination {
    /// The destination a command-line argument names: `-` is standard
    /// output, anything else a file path.
    init(argument: String) {
        self = argument == "-" ? .standardOutput : .file(argument)
    }
}

extension Source {
    /// The source a command-line argument names: `-` is standard input,
    /// anything else a file path.
    init(argument: String) {
        self = argument == "-" ? .standardInput : .file(argument)
    }
}
