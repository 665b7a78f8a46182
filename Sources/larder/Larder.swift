import ArgumentParser
import Larder

@main
struct LarderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "larder", abstract: "An embedded feature store over one SQLite file.")
}
