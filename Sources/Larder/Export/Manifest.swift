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
    /// SHA-256 of the manifest's other fields (compact JSON, sorted keys),
    /// set by ``json()``: an edit of any field is detected on replay.
    /// Manifests written before it existed have none and are read as they are.
    public var manifestSHA256: String?

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
        case manifestSHA256 = "manifest_sha256"
    }

    /// The manifest as pretty JSON with sorted keys, with its checksum.
    public func json() throws(LarderError) -> String {
        var sealed = self
        sealed.manifestSHA256 = try checksum()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(sealed), as: UTF8.self) + "\n" } catch { throw .io(path: "manifest", message: "cannot encode the manifest: \(error)") }
    }

    /// SHA-256 of every field but ``manifestSHA256``, as compact JSON with sorted keys.
    private func checksum() throws(LarderError) -> String {
        var unsealed = self
        unsealed.manifestSHA256 = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return SHA256.hash(Array(try encoder.encode(unsealed))) } catch { throw .io(path: "manifest", message: "cannot encode the manifest: \(error)") }
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
            throw .invalidInput("\(path): not a Larder manifest (\(error))")
        }
    }

    /// The manifest format this Larder writes and reads.
    public static let currentVersion = 1

    /// What replaying the manifest needs, checked: its pinned references,
    /// its horizon and its entity-less time (nil for a spine retrieval).
    ///
    /// - Throws: ``LarderError/usage(_:)`` naming `path` and the field when
    ///   the format version is not ``currentVersion``, a reference is not
    ///   pinned to a version, a time does not parse, the manifest has both or
    ///   neither of a spine and an `at` time, or a count or hash is malformed.
    public func validated(path: String) throws(LarderError) -> (features: [FeatureReference], asOf: Timestamp, at: Timestamp?) {
        func invalid(_ field: String, _ message: String) -> LarderError { .invalidInput("\(path): \(field): \(message)") }
        guard manifestVersion == Self.currentVersion else {
            throw invalid("larder_manifest", "format version \(manifestVersion) is not one this Larder reads (\(Self.currentVersion))")
        }
        if let manifestSHA256, try checksum() != manifestSHA256 {
            throw invalid("manifest_sha256", "the manifest was edited after it was written (its checksum differs)")
        }
        guard !features.isEmpty else { throw invalid("features", "no features") }
        var refs: [FeatureReference] = []
        for text in features {
            let ref: FeatureReference
            do { ref = try FeatureReference(parsing: text) } catch { throw invalid("features", "\(error)") }
            guard ref.version != nil, ref.feature != nil else { throw invalid("features", "\"\(text)\" is not pinned to one feature of one version (view@N:feature)") }
            refs.append(ref)
        }
        func time(_ field: String, _ text: String) throws(LarderError) -> Timestamp {
            switch Timestamp.parse(text) {
            case .success(let t): return Timestamp(microseconds: t)
            case .failure(let error): throw invalid(field, "\"\(text)\": \(error)")
            }
        }
        _ = try time("created_at", createdAt)
        let horizon = try time("as_of", asOf)
        let atTime = try at.map { text throws(LarderError) in try time("at", text) }
        guard (spine == nil) != (at == nil) else { throw invalid("spine", "a manifest has either a spine or an at time") }
        if spine != nil, spineSHA256.map(Self.isSHA256) != true { throw invalid("spine_sha256", "not a SHA-256 (64 hex digits)") }
        guard Self.isSHA256(resultSHA256) else { throw invalid("result_sha256", "not a SHA-256 (64 hex digits)") }
        guard rows >= 0 else { throw invalid("rows", "\(rows) is negative") }
        guard !columns.isEmpty else { throw invalid("columns", "no columns") }
        return (refs, horizon, atTime)
    }

    /// The runs of `view` the training set was read from, as a drift
    /// baseline: the view version the manifest pinned (`version`, when it
    /// pinned several), and its runs committed at or before the manifest's
    /// horizon (`as_of`).
    ///
    /// - Throws: an `invalid_input` error naming `path` when the manifest
    ///   does not validate (``validated(path:)``), pins no feature of `view`
    ///   (of `version`, when given), or pins several versions of it and
    ///   `version` is nil.
    public func baseline(of view: String, version: Int? = nil, path: String) throws(LarderError) -> (version: Int, runs: RunSelection) {
        let (refs, horizon, _) = try validated(path: path)
        let pinned = Set(refs.filter { $0.view == view }.compactMap(\.version)).sorted()
        let list = pinned.map { "\(view)@\($0)" }.joined(separator: ", ")
        let chosen: Int
        if let version {
            guard pinned.contains(version) else {
                throw .invalidInput("\(path): the manifest pins no feature of \(view)@\(version) (it pins \(pinned.isEmpty ? features.joined(separator: ", ") : list))")
            }
            chosen = version
        } else {
            guard let only = pinned.first else {
                throw .invalidInput("\(path): the manifest pins no feature of \(view) (it pins \(features.joined(separator: ", ")))")
            }
            guard pinned.count == 1 else { throw .invalidInput("\(path): the manifest pins several versions of \(view) (\(list)): name one as VIEW@N") }
            chosen = only
        }
        return (chosen, .committed(from: nil, to: Timestamp(microseconds: horizon.microseconds + 1)))
    }

    /// Whether `text` is 64 lowercase hex digits.
    private static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// SHA-256 of `frame` written as CSV: the canonical form a manifest pins.
    public static func canonicalSHA256(of frame: FeatureFrame) throws(LarderError) -> String {
        var writer = CSVWriter(schema: ExportSchema(names: frame.names, types: frame.columns.map(\.type)), sink: .memory())
        try writer.write(frame)
        return SHA256.hash(writer.sink.buffer)
    }
}
