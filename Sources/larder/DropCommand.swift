import ArgumentParser
import Larder

/// `larder drop VIEW@N`: removes one version of a view and its rows.
struct DropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drop", abstract: "Remove one version of a feature view (its table and rows).")

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW@N: the version to remove.")
    var view: String

    func run() throws {
        let reference = try ViewReference(parsing: view)
        guard let version = reference.version else {
            throw ValidationError("say which version to drop: \(reference.name)@N (see `larder versions \(reference.name)`)")
        }
        try options.open().drop(view: reference.name, version: version)
        print("dropped \(reference)")
    }
}
