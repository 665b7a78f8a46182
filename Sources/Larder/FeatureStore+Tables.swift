extension FeatureStore {
    /// Runs `body` with the store's tables and its registry, both read in
    /// one read transaction (one state of the store): what `larder
    /// migrate-store` copies. Fails with `storage` when the store's engine
    /// cannot list its tables (only SQLite's can).
    package func readingTables<R>(_ body: (any TableSource, RegistrySnapshot) throws -> R) throws(LarderError) -> R {
        try withReader { state in
            let session = state.session
            guard let tables = session as? any TableSource else {
                throw LarderError(.storage, "\(path): only a SQLite store can be copied to another engine", path: path)
            }
            return try session.reading { try body(tables, try session.loadRegistry()) }
        }
    }
}
