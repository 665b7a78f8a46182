import ArgumentParser
import Larder
import LarderServer

#if canImport(Glibc)
import Glibc
#endif

/// The `larder` command: an embedded feature store over one SQLite file.
@main
struct LarderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "larder",
        abstract: "An embedded feature store over one SQLite file.",
        discussion: "Exit status: 0 success, 1 validation or usage error, 2 I/O or store error, 3 drift found (larder drift).",
        subcommands: [
            InitCommand.self, ApplyCommand.self, ListCommand.self, DescribeCommand.self,
            VersionsCommand.self, DropCommand.self, BackfillCommand.self, LedgerCommand.self, RunsCommand.self, StatsCommand.self, DriftCommand.self,
            OnlineCommand.self, HistoricalCommand.self, ExportCommand.self, CacheCommand.self, ServeCommand.self, QuickstartCommand.self, MigrateStoreCommand.self,
        ]
    )

    /// Parses and runs, mapping errors to the exit statuses of semantics §4:
    /// 1 for usage and validation errors, 2 for I/O and store errors.
    static func main() async {
        // Past a file-size limit (`ulimit -f`), a write fails with EFBIG and is
        // reported, instead of the signal killing the process mid-write.
        signal(SIGXFSZ, SIG_IGN)
        // Before any SQLite use, while this is the only thread.
        SQLiteProcess.turnOffMemoryStatistics()
        do {
            var command = try parseAsRoot()
            // The server's handlers run on NIO's event loops (no thread hop per request).
            // Pushes wait for the write lock on the blocking pool, several at once (group commit).
            if command is ServeCommand {
                FeatureServer.sizeBlockingPool()
                FeatureServer.runTasksOnEventLoops()
            }
            // The one asynchronous subcommand by its type: a cast to `any AsyncParsableCommand`
            // would scan every protocol conformance in the executable (a Swift runtime lookup).
            if let serve = command as? ServeCommand {
                try await serve.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            // A command that has already said why: a verdict (`larder drift` exits 3 on drift) or a
            // partial result (backfill --command: not every interval committed).
            Glibc.exit(code.rawValue)
        } catch let error as LarderError {
            printError(error.description)
            Glibc.exit(exitStatus(error.category))
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            printError(fullMessage(for: error))
            Glibc.exit(code == .failure || code.rawValue == 64 ? 1 : code.rawValue)
        }
    }
}

/// The exit status for an error of `category` (semantics §5): 1 when the
/// request or its input was wrong and nothing was written, 2 when the store
/// or a file failed. Categories added later count as store failures.
func exitStatus(_ category: LarderError.Category) -> Int32 {
    switch category {
    case .invalidInput, .notFound, .conflict: 1
    default: 2
    }
}

/// Writes `error: message` to stderr.
func printError(_ message: String) {
    var text = message
    if !text.hasPrefix("error:") && !text.hasPrefix("Error:") { text = "error: " + text }
    if !text.hasSuffix("\n") { text += "\n" }
    writeStandardError(text)
}

/// Writes `text` to file descriptor 2, unbuffered.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}
