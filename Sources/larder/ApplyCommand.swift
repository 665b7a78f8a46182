import ArgumentParser
import Larder
import LarderPostgres

/// `larder apply FILE`: creates or updates entities, views and feature sets.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a definitions file (YAML): create, update metadata, or make new view versions.",
        discussion: "Prints one line per object: create, update metadata, new version N, or unchanged.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "The definitions file (YAML).")
    var file: String

    @Flag(help: "Show the plan without changing the store.")
    var dryRun = false

    @Flag(help: "Copy the previous version's rows into each new view version.")
    var carryData = false

    func run() throws {
        let definitions = try Definitions.load(path: file)
        let store = try FeatureStore.open(options.path, options: .init(durable: options.durable))
        let plan = try store.apply(definitions, carryData: carryData, dryRun: dryRun)
        if !plan.steps.isEmpty { print(plan.description) }
        if dryRun {
            print("dry run: nothing was changed")
        } else if !plan.changesSomething {
            print("nothing to change")
        }
    }
}
