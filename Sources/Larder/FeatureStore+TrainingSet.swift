/// What a training set is built for: the rows of a spine file, or every
/// entity at one time (semantics §3), with the features, the horizon and the
/// naming. `larder historical` is this request plus an output.
public struct TrainingSetRequest: Sendable {
    /// The rows a training set has.
    public enum Rows: Sendable, Equatable {
        /// One row per row of this spine (CSV or JSON Lines).
        case spine(Source)
        /// Entity-less: one row per entity key, at this time.
        case at(Timestamp)
    }

    /// The rows.
    public var rows: Rows
    /// The features; each is pinned to the version it resolves to when the
    /// training set is made.
    public var features: [FeatureReference]
    /// Only runs committed at or before this time are seen; nil means every
    /// run committed when the training set is made, and the manifest records
    /// the commit time of the last of them (see
    /// ``FeatureStore/writeTrainingSet(_:format:to:manifest:)``).
    public var asOf: Timestamp?
    /// Name feature columns `view__feature`.
    public var fullNames: Bool
    /// How the spine is read (`assumeUTC`, `timeUnit`, `format`, `eventTimeColumn`).
    public var spineOptions: IngestOptions
    /// When reproducing a manifest: the manifest the result must match, and its path.
    public private(set) var expected: (manifest: TrainingSetManifest, path: String)?

    /// A training set of `features` for `rows`.
    public init(rows: Rows, features: [FeatureReference], asOf: Timestamp? = nil, fullNames: Bool = false,
                spineOptions: IngestOptions = IngestOptions()) {
        self.rows = rows
        self.features = features
        self.asOf = asOf
        self.fullNames = fullNames
        self.spineOptions = spineOptions
    }

    /// The retrieval the manifest at `path` describes: its features, horizon,
    /// naming and rows (its spine, or `spine` in its place, which must have
    /// the same SHA-256). The result must then match the manifest's row count
    /// and hash, or the training set is refused and nothing is written.
    ///
    /// - Throws: ``LarderError/usage(_:)`` for a manifest that is not valid
    ///   (see ``TrainingSetManifest/validated(path:)``).
    public init(reproducing path: String, spine: Source? = nil, spineOptions: IngestOptions = IngestOptions()) throws(LarderError) {
        let manifest = try TrainingSetManifest.load(path: path)
        let valid = try manifest.validated(path: path)
        if let at = valid.at {
            if spine != nil { throw .invalidInput("\(path): the manifest is of an entity-less retrieval (at \(manifest.at ?? "")); it takes no spine") }
            rows = .at(at)
        } else {
            guard let source = spine ?? manifest.spine.map({ $0 == "-" ? Source.standardInput : .file($0) }) else {
                throw .invalidInput("\(path): the manifest names no spine; give one")
            }
            rows = .spine(source)
        }
        features = valid.features
        asOf = valid.asOf
        fullNames = manifest.fullNames
        self.spineOptions = spineOptions
        expected = (manifest, path)
    }
}

/// What writing a training set did.
public struct TrainingSetSummary: Sendable, Equatable {
    /// Rows written.
    public var rows: Int
    /// The output's column names.
    public var columns: [String]
    /// SHA-256 of the canonical result, when a manifest was written or checked.
    public var resultSHA256: String?
    /// Whether the result was checked against a manifest and matched it.
    public var reproduced: Bool
}

extension FeatureStore {
    /// Makes the training set `request` describes and writes it to `output`
    /// in `format`, and a manifest of it to `manifest` when given (semantics
    /// §3). Every file appears complete or not at all: nothing is renamed
    /// into place until the result is written and, when reproducing a
    /// manifest, found identical to it. Outputs that are the store's files,
    /// the spine, the manifest being reproduced or each other are refused
    /// before anything is read.
    ///
    /// - Throws: ``LarderError/usage(_:)`` for an unsafe output, a spine that
    ///   differs from the manifest's, or a result that differs from it;
    ///   ``LarderError/validation(problems:total:)`` for a bad spine.
    @discardableResult
    public func writeTrainingSet(_ request: TrainingSetRequest, format: OutputFormat, to output: Destination,
                                 manifest: Destination? = nil) throws(LarderError) -> TrainingSetSummary {
        var inputs: [OutputFiles.Input] = []
        if case .spine(.file(let spine)) = request.rows { inputs.append(.init("spine", path: spine)) }
        if let expected = request.expected { inputs.append(.init("manifest being reproduced", path: expected.path)) }
        let outputs = try OutputFiles(store: storage.files, inputs: inputs,
                                      outputs: [.init("output", destination: output)] + (manifest.map { [.init("manifest", destination: $0)] } ?? []))
        let (frame, pinned, horizon, spineSHA256) = try trainingFrame(request)
        var writer = format.makeWriter(sink: try outputs.sink(for: output), names: frame.names, types: frame.columns.map(\.type))
        try writer.write(frame)
        try writer.finish()
        let resultSHA256 = request.expected != nil || manifest != nil ? try TrainingSetManifest.canonicalSHA256(of: frame) : nil
        if let (expected, manifestPath) = request.expected {
            guard resultSHA256 == expected.resultSHA256, frame.rowCount == expected.rows, frame.names == expected.columns else {
                throw .conflict("the result differs from \(manifestPath)'s (rows \(frame.rowCount) vs \(expected.rows), sha256 \(resultSHA256?.prefix(16) ?? "")… vs \(expected.resultSHA256.prefix(16))…): the store no longer holds the data it was made from; nothing was written")
            }
        }
        if let manifest, let resultSHA256 {
            var spine: String?
            var at: String?
            switch request.rows {
            case .spine(let source): spine = source.description
            case .at(let time): at = time.description
            }
            let m = TrainingSetManifest(
                createdAt: Timestamp.format(Timestamp.nowMicroseconds()), features: pinned.map(\.description), fullNames: request.fullNames,
                asOf: horizon.description, spine: spine, spineSHA256: spineSHA256, at: at, columns: frame.names,
                rows: frame.rowCount, resultSHA256: resultSHA256)
            var sink = try outputs.sink(for: manifest)
            sink.buffer.append(contentsOf: try m.json().utf8)
            try sink.close()
        }
        try outputs.commit()
        return TrainingSetSummary(rows: frame.rowCount, columns: frame.names, resultSHA256: resultSHA256, reproduced: request.expected != nil)
    }

    /// The commit time of the last run committed now (`0` when there is
    /// none): the horizon of a training set made without one. Exact, unlike
    /// the clock: writers take the store's write lock one at a time and stamp
    /// their commit time inside it, so a run committed after this read has a
    /// later time, even one whose write began before it; the clock could be
    /// later than the time such a run stamped, and a replay would then see
    /// a run the original did not.
    func lastCommitTime() throws(LarderError) -> Timestamp {
        Timestamp(microseconds: try withReader { state in try cache.transaction(source: state.session) { $0.runs.lastCommittedAt } })
    }
}

extension FeatureStore {
    /// Makes the training set `request` describes and hands it, encoded in
    /// `format` (Arrow as the IPC stream format), to `output` in chunks of
    /// about 1 MiB as the rows are encoded, 65,536 at a time: the answer of
    /// `POST /v1/historical-features`. The rows are retrieved and checked
    /// before the first chunk, so a bad request throws before any output.
    /// A bytes chunk is valid only during the call; what `output` throws
    /// (the client went away) stops the encoding and is rethrown.
    ///
    /// - Throws: what ``writeTrainingSet(_:format:to:manifest:)`` throws
    ///   for a bad spine or request.
    @discardableResult
    public func streamTrainingSet(_ request: TrainingSetRequest, format: OutputFormat,
                                  to output: @escaping (UnsafeRawBufferPointer) throws(LarderError) -> Void) throws(LarderError) -> TrainingSetSummary {
        let frame = try trainingFrame(request).frame
        var writer = format.makeWriter(sink: .consumer(output), names: frame.names, types: frame.columns.map(\.type))
        for start in stride(from: 0, to: frame.rowCount, by: FeatureStore.streamedRows) {
            try writer.write(frame, rows: start..<min(start + FeatureStore.streamedRows, frame.rowCount))
        }
        try writer.finish()
        return TrainingSetSummary(rows: frame.rowCount, columns: frame.names, resultSHA256: nil, reproduced: false)
    }

    /// The rows a streamed training set encodes at a time.
    static let streamedRows = 65_536

    /// The training set `request` describes, with its references pinned to
    /// the versions they resolve to now (so a manifest is exact), its
    /// horizon, and its spine's SHA-256 (checked against the manifest being
    /// reproduced).
    private func trainingFrame(_ request: TrainingSetRequest) throws(LarderError)
        -> (frame: FeatureFrame, pinned: [FeatureReference], horizon: Timestamp, spineSHA256: String?) {
        let horizon = if let asOf = request.asOf { asOf } else { try lastCommitTime() }
        // Pin every reference to the version it resolves to now, so a manifest is exact.
        let resolved = try registry.resolve(request.features)
        let pinned = resolved.map(\.reference)
        switch request.rows {
        case .spine(let spine):
            let read = try SpineReader.read(spine, joinKeys: resolved.uniqueJoinKeys, options: request.spineOptions)
            if let expected = request.expected, let sha = expected.manifest.spineSHA256, read.sha256 != sha {
                throw .conflict("\(spine) is not the spine \(expected.path) was made with (its SHA-256 differs)")
            }
            let frame = try historicalFeatures(spine: read.frame, features: pinned, asOf: horizon, fullNames: request.fullNames)
            return (frame, pinned, horizon, read.sha256)
        case .at(let time):
            return (try historicalFeatures(at: time, features: pinned, asOf: horizon, fullNames: request.fullNames), pinned, horizon, nil)
        }
    }
}

extension Array where Element == ResolvedFeature {
    /// The join keys of these features' views, each name once, in order.
    public var uniqueJoinKeys: [JoinKey] {
        var seen: Set<String> = []
        var keys: [JoinKey] = []
        for feature in self {
            for key in feature.view.joinKeys where seen.insert(key.name).inserted { keys.append(key) }
        }
        return keys
    }
}
