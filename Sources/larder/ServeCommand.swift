import ArgumentParser
import Foundation
import Larder
import LarderServer
import Logging

/// `larder serve`: the feature server over HTTP (docs/serving.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve online, historical and push requests over HTTP (see docs/serving.md).",
        discussion: "Stops gracefully on SIGINT or SIGTERM: no new connections, requests in flight finish, the store is closed.")

    @OptionGroup var options: StoreOptions

    @Option(help: "The address to listen on (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one, printed at start).")
    var port = 6566

    @Option(help: "Cache budget in MB (default: a quarter of RAM; 0 answers from SQLite).")
    var cacheMb: Int?

    @Option(help: "A file holding the bearer token every route but /healthz then requires.")
    var tokenFile: String?

    @Option(help: "The largest request body read, in MB (larger ones get 413).")
    var maxBodyMb = 64

    @Flag(name: .customLong("no-ui"), help: "Do not serve the web UI under /ui/ (see docs/ui.md).")
    var noUI = false

    @Option(help: ArgumentHelp("A folder of training-set manifests the UI's drift page offers as baselines.",
                               discussion: "Only its own .json files are offered and read (see docs/ui.md)."))
    var manifests: String?

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port \(port) is not a port (0 to 65535)") }
        guard maxBodyMb > 0 else { throw ValidationError("--max-body-mb must be positive") }
    }

    func run() async throws {
        var routes = LarderRoutes.Options(maxBodyBytes: maxBodyMb << 20)
        if let tokenFile {
            guard let text = FileManager.default.contents(atPath: tokenFile).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw ValidationError("cannot read the token file \(tokenFile)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
                throw ValidationError("the token file \(tokenFile) must hold one token: no spaces, not empty")
            }
            routes.token = token
        }
        let folder = try manifests.map { path throws(LarderError) in try ManifestFolder(path: path) }
        let store = try options.open(cacheMegabytes: cacheMb)
        var logger = Logger(label: "larder.server")
        logger.logLevel = .info
        let host = host
        try await FeatureServer.run(store: store, configuration: .init(host: host, port: port, routes: routes, ui: !noUI, manifests: folder),
                                    logger: logger) { [noUI] port in
            FileHandle.standardError.write(Data("larder: serving \(store.path) on http://\(host):\(port)\n".utf8))
            if !noUI { FileHandle.standardError.write(Data("larder: the web UI is at http://\(host):\(port)/ui/\n".utf8)) }
        }
    }
}
