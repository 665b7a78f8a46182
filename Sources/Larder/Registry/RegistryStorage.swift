/// What the registry asks of the storage engine below it: its schema, the
/// registry's tables read as one ``RegistrySnapshot``, the writes that
/// `apply` and `drop` make, and change detection.
///
/// Every write here happens inside ``writing(_:)``, one write transaction,
/// so an `apply` lands whole or not at all. SQLite implements it in
/// `SQLiteEngine/`; another engine implements the same operations.
package protocol RegistryStorage {
    /// Where the store is, for messages (a file path, a URL).
    var location: String { get }
    /// Brings the store's schema up to this build's migrations; returns the
    /// versions applied. Throws ``LarderError/storeTooNew(path:storeVersion:supportedVersion:)``
    /// for a store written by a newer Larder.
    @discardableResult
    func migrate() throws -> [Int]
    /// The schema version the store records.
    func schemaVersion() throws -> Int
    /// The whole registry as one state of the store (read in one read
    /// transaction, or in the caller's).
    func loadRegistry() throws -> RegistrySnapshot
    /// A number that changes whenever another connection commits to the
    /// store: the registry is reloaded when it differs from the last one seen.
    func changeCounter() throws -> Int64
    /// Runs `body` in one write transaction (the store's write lock at once).
    func writing<R>(_ body: () throws -> R) throws -> R

    /// Creates or updates `entity`.
    func save(_ entity: Entity) throws
    /// Records a new version of a view and creates its table.
    func insertVersion(_ view: FeatureView, createdAt: Int64) throws
    /// Updates the description, owner, tags and expectations of an existing version.
    func updateMetadata(of view: FeatureView) throws
    /// Copies every row of `old` into `new` (`--carry-data`): features
    /// present in both with the same type keep their values; the others are null.
    func copyRows(from old: FeatureView, to new: FeatureView) throws
    /// Records a new version of a feature set.
    func insert(_ set: FeatureSet, createdAt: Int64) throws
    /// Updates the description of an existing feature set version.
    func updateDescription(of set: FeatureSet) throws
    /// Removes one version of a view: its table and its registry rows (its
    /// runs stay, and its number is never issued again).
    func dropVersion(_ view: FeatureView) throws
}
