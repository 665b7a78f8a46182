import ArgumentParser
import Larder
import LarderPostgres

#if canImport(Glibc)
import Glibc
#endif

/// `--store PATH`, shared by every command; falls back to `$LARDER_STORE`,
/// then `./larder.db`.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store: a file, or postgres://USER@HOST[:PORT]/DATABASE (default: $LARDER_STORE, else ./larder.db).")
    var store: String?

    @Flag(help: "Commit with SQLite's synchronous=FULL: a committed write survives a power loss, not only a crash.")
    var durable = false

    @Flag(help: "Say on standard error what the cache does: snapshot files written, passed over (and why) or kept in memory.")
    var verbose = false

    /// The store path (or PostgreSQL URL) after applying the fallbacks.
    var path: String {
        if let store { return store }
        if let env = getenv("LARDER_STORE"), env.pointee != 0 { return String(cString: env) }
        return "./larder.db"
    }

    /// Opens the existing store (an error when there is none), with a cache
    /// budget of `cacheMegabytes` when given.
    func open(cacheMegabytes: Int? = nil) throws -> FeatureStore {
        var storeOptions = FeatureStore.Options(create: false, cacheBytes: cacheMegabytes.map { $0 << 20 }, durable: durable)
        if verbose { storeOptions.log = { @Sendable message in writeStandardError("larder: \(message)\n") } }
        return try FeatureStore.open(path, options: storeOptions)
    }
}

/// `--format` for listing commands.
enum ListFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
