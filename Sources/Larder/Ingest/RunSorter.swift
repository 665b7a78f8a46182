/// The rows of one ingest run put into primary-key order as a whole, so that
/// the writer inserts them into the view's B-tree from one end to the other
/// (each page is then visited once instead of once per row, which is what
/// makes a run that outgrows SQLite's page cache slow; see
/// docs/benchmarks.md).
///
/// Rows are gathered in memory up to ``partRows``; each full part is sorted
/// and written as blocks of ``blockRows`` rows to a scratch file in a
/// private folder of the system temporary folder (an external merge sort).
/// ``finish(emit:)`` merges the parts, or sorts the rows in memory when none
/// was spilled, and removes the files, on success and on error alike.
final class RunSorter {
    /// Rows per spilled block: what the merge holds of each part.
    static let blockRows = 8_192

    /// The view whose rows are sorted.
    let view: FeatureView
    /// Rows sorted in memory at once (one part).
    let partRows: Int
    /// Where the scratch folder goes (nil: the system temporary folder).
    let scratchParent: String?
    /// Whether each row's raw record travels with it (skip mode, for the reject file).
    let keepsRaw: Bool
    /// The rows of the part being gathered, in input order.
    private var pending: WriteBatch
    /// Their raw records, when ``keepsRaw``.
    private var pendingRaw: Column?
    /// The scratch folder, made at the first spill.
    private var folder: ScratchFolder?
    /// The spilled parts, each sorted.
    private var parts: [ScratchFile] = []

    /// A sorter for rows of `view`.
    init(view: FeatureView, partRows: Int, keepsRaw: Bool, scratchParent: String?) {
        self.view = view
        self.partRows = partRows
        self.keepsRaw = keepsRaw
        self.scratchParent = scratchParent
        pending = WriteBatch(view: view)
        pendingRaw = keepsRaw ? Column(type: .bytes) : nil
    }

    /// The scratch folder, once a part has been spilled.
    var scratchPath: String? { folder?.path }

    /// Adds rows (with their raw records when ``keepsRaw``); spills a part when enough are held.
    func add(_ batch: WriteBatch, raw: Column?) throws(LarderError) {
        if pending.count == 0 { pending = WriteBatch(view: view, capacity: partRows + batch.count) }
        pending.append(contentsOf: batch)
        if let raw { pendingRaw?.append(contentsOf: raw) }
        if pending.count >= partRows { try spill() }
    }

    /// Hands every row over in primary-key order, in batches of at most
    /// `batchRows`, until `emit` returns false; the scratch files are gone
    /// when it returns or throws.
    func finish(batchRows: Int, emit: (WriteBatch, Column?) -> Bool) throws(LarderError) {
        defer { remove() }
        if parts.isEmpty {
            let order = pending.primaryKeyOrder()
            for start in stride(from: 0, to: order.count, by: batchRows) {
                let rows = Array(order[start..<min(start + batchRows, order.count)])
                guard emit(pending.gathered(rows), pendingRaw?.gathering(rows.map { Int32($0) })) else { return }
            }
            return
        }
        if pending.count > 0 { try spill() }
        var merge = try SortedRunMerge(parts: parts, view: view, hasRaw: keepsRaw)
        while let (batch, raw) = try merge.next(maxRows: batchRows) {
            guard emit(batch, raw) else { return }
        }
    }

    /// Deletes the scratch files and their folder.
    func remove() {
        folder?.remove()
        parts.removeAll()
    }

    /// Sorts the rows held and writes them as the next part.
    private func spill() throws(LarderError) {
        if folder == nil { folder = try ScratchFolder(parent: scratchParent) }
        guard let folder else { return }
        let file = try folder.file(named: "part-\(parts.count)")
        parts.append(file)
        let order = pending.primaryKeyOrder()
        var bytes: [UInt8] = []
        for start in stride(from: 0, to: order.count, by: Self.blockRows) {
            let rows = Array(order[start..<min(start + Self.blockRows, order.count)])
            bytes.removeAll(keepingCapacity: true)
            SpillCodec.encode(pending.gathered(rows), raw: pendingRaw?.gathering(rows.map { Int32($0) }), into: &bytes)
            try file.append(block: bytes)
        }
        pending = WriteBatch(view: view)
        pendingRaw = keepsRaw ? Column(type: .bytes) : nil
    }
}
