import ArgumentParser
import Larder

/// `larder drop VIEW@N`: removes one version of a view and its rows.
struct DropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drop", abstract: "Remove one version of a feature view (its table and rows).")

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW@N: the version to remove.")
    var view: String

    func run() throws {
        let (name, version) = try parseVersioned(view)
        guard let version else { throw LarderError.invalidInput("say which version to drop: \(name)@N (see `larder versions \(name)`)") }
        try options.open().drop(view: name, version: version)
        print("dropped \(name)@\(version)")
    }
}
