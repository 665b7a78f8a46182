import ArgumentParser
import Larder
import LarderPostgres

/// `larder init`: creates an empty store (or upgrades an existing one).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a store file (or bring an existing one up to date).")

    @OptionGroup var options: StoreOptions

    func run() throws {
        let store = try FeatureStore.open(options.path, options: .init(durable: options.durable))
        print("store \(store.path) ready (schema version \(try store.schemaVersion()))")
    }
}
