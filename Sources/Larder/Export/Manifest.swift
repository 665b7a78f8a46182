import Foundation

/// What makes a training set reproducible (semantics §3): the resolved,
/// version-pinned feature references, the `asOf` horizon, the spine, the row
/// count and a SHA-256 of the canonical result (its CSV bytes). Re-running a
/// retrieval from its manifest after later backfills gives byte-identical
/// data, because runs committed after `asOf` stay invisible.
public struct TrainingSetManifest: Codable, Sendable, Equatable {
    /// The manifest format version.
    public var manifestVersion = 1
    /// When the retrieval ran (RFC 3339).
    public var createdAt: String
    /// Feature references, each pinned to a view version (`view@N:feature`).
    public var features: [String]
    /// Whether output columns are named `view__feature`.
    public var fullNames: Bool
    /// The horizon: runs committed after it are invisible (RFC 3339, µs).
    public var asOf: String
    /// The spine file, when the retrieval had one.
    public var spine: String?
    /// SHA-256 of the spine file.
    public var spineSHA256: String?
    /// The entity-less time (`--at`), when the retrieval had no spine.
    public var at: String?
    /// The output column names.
    public var columns: [String]
    /// The number of rows.
    public var rows: Int
    /// SHA-256 of the canonical result: the result written as CSV.
    public var resultSHA256: String

    /// A manifest of a retrieval that produced `rows` rows named `columns`.
    public init(createdAt: String, features: [String], fullNames: Bool, asOf: String, spine: String?, spineSHA256: String?,
                at: String?, columns: [String], rows: Int, resultSHA256: String) {
        self.createdAt = createdAt
        self.features = features
        self.fullNames = fullNames
        self.asOf = asOf
        self.spine = spine
        self.spineSHA256 = spineSHA256
        self.at = at
        self.columns = columns
        self.rows = rows
        self.resultSHA256 = resultSHA256
    }

    enum CodingKeys: String, CodingKey {
        case manifestVersion = "larder_manifest", createdAt = "created_at", features, fullNames = "full_names", asOf = "as_of"
        case spine, spineSHA256 = "spine_sha256", at, columns, rows, resultSHA256 = "result_sha256"
    }

    /// The manifest as pretty JSON with sorted keys.
    public func json() throws(LarderError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n" } catch { throw .usage("cannot encode the manifest: \(error)") }
    }

    /// Reads a manifest file.
    public static func load(path: String) throws(LarderError) -> TrainingSetManifest {
        try parse(json: try FileSystem.readText(path), path: path)
    }

    /// Decodes the text of the manifest file at `path` (named in the error).
    static func parse(json text: String, path: String) throws(LarderError) -> TrainingSetManifest {
        do {
            return try JSONDecoder().decode(TrainingSetManifest.self, from: Data(text.utf8))
        } catch {
            throw .usage("\(path): not a Larder manifest (\(error))")
        }
    }

    /// SHA-256 of `frame` written as CSV: the canonical form a manifest pins.
    public static func canonicalSHA256(of frame: FeatureFrame) throws(LarderError) -> String {
        var writer = CSVWriter(schema: ExportSchema(names: frame.names, types: frame.columns.map(\.type)), sink: .memory())
        try writer.write(frame)
        return SHA256.hash(writer.sink.buffer)
    }
}
