/// A k-way merge of the sorted parts that ``RunSorter`` spilled: each part
/// is read back one block at a time, and a binary heap of the parts' current
/// rows picks the next row in primary-key order. Each output batch is one
/// bulk gather from the blocks it draws on, laid back to back.
struct SortedRunMerge {
    /// Where one part stands: its current block and row.
    private struct Cursor {
        /// The part.
        let file: ScratchFile
        /// The offset of the part's next block.
        var next: Int
        /// The current block's rows.
        var batch: WriteBatch
        /// The current block's raw records (skip mode).
        var raw: Column?
        /// The current row of ``batch``.
        var row = 0
    }

    /// The view whose rows are merged.
    let view: FeatureView
    /// Whether each block carries the rows' raw records.
    let hasRaw: Bool
    /// Whether the key is one `int64` column, compared through ``heads``.
    private let intKey: Bool
    /// One cursor per part.
    private var cursors: [Cursor] = []
    /// Per cursor, with ``intKey``: the key, event time and created time of its current row.
    private var heads: [(Int64, Int64, Int64)] = []
    /// Indexes of the cursors that still have rows, ordered as a min-heap by their current row.
    private var heap: [Int] = []

    /// A merge of `parts`, files of blocks that ``SpillCodec`` encoded for `view`.
    init(parts: [ScratchFile], view: FeatureView, hasRaw: Bool) throws(LarderError) {
        self.view = view
        self.hasRaw = hasRaw
        intKey = view.joinKeys.count == 1 && view.joinKeys[0].type == .int64
        for file in parts where file.size > 0 {
            let (bytes, next) = try file.block(at: 0)
            let (batch, raw) = SpillCodec.decode(bytes, view: view, hasRaw: hasRaw)
            cursors.append(Cursor(file: file, next: next, batch: batch, raw: raw))
            heads.append((0, 0, 0))
        }
        for i in cursors.indices where cursors[i].batch.count > 0 {
            refreshHead(i)
            push(i)
        }
    }

    /// The next at most `maxRows` rows in primary-key order (nil once every part is used up).
    mutating func next(maxRows: Int) throws(LarderError) -> (WriteBatch, Column?)? {
        guard !heap.isEmpty else { return nil }
        var blocks = WriteBatch(view: view)
        var raws: Column? = hasRaw ? Column(type: .bytes) : nil
        var base = [Int](repeating: 0, count: cursors.count)
        for i in heap { gather(i, into: &blocks, raws: &raws, base: &base) }
        var order: [Int] = []
        order.reserveCapacity(maxRows)
        while order.count < maxRows, let top = heap.first {
            order.append(base[top] + cursors[top].row)
            guard try advance(top) else {
                popTop()
                continue
            }
            if cursors[top].row == 0 { gather(top, into: &blocks, raws: &raws, base: &base) }
            refreshHead(top)
            siftDown(0)
        }
        return (blocks.gathered(order), raws?.gathering(order.map { Int32($0) }))
    }

    /// Appends cursor `i`'s current block to `blocks` (and `raws`), noting where it starts in `base`.
    private func gather(_ i: Int, into blocks: inout WriteBatch, raws: inout Column?, base: inout [Int]) {
        base[i] = blocks.count
        blocks.append(contentsOf: cursors[i].batch)
        if let raw = cursors[i].raw { raws?.append(contentsOf: raw) }
    }

    /// Copies cursor `i`'s current key into ``heads`` (with ``intKey``).
    private mutating func refreshHead(_ i: Int) {
        guard intKey else { return }
        let row = cursors[i].row
        let batch = cursors[i].batch
        heads[i] = (batch.keys[0].ints[row], batch.eventTimes[row], batch.createdTimes[row])
    }

    /// Moves cursor `i` to its next row, reading the part's next block when
    /// needed; false when the part has no rows left.
    private mutating func advance(_ i: Int) throws(LarderError) -> Bool {
        cursors[i].row += 1
        if cursors[i].row < cursors[i].batch.count { return true }
        let file = cursors[i].file
        guard cursors[i].next < file.size else { return false }
        let (bytes, next) = try file.block(at: cursors[i].next)
        (cursors[i].batch, cursors[i].raw) = SpillCodec.decode(bytes, view: view, hasRaw: hasRaw)
        cursors[i].next = next
        cursors[i].row = 0
        return cursors[i].batch.count > 0
    }

    /// Whether cursor `a`'s current row comes before cursor `b`'s.
    private func less(_ a: Int, _ b: Int) -> Bool {
        if intKey { return heads[a] < heads[b] }
        return cursors[a].batch.precedes(cursors[a].row, cursors[b].batch, cursors[b].row)
    }

    /// Adds cursor `i` to the heap.
    private mutating func push(_ i: Int) {
        heap.append(i)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes the heap's top (a part used up).
    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    /// Restores the heap order below `start` after its cursor moved on.
    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, less(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard less(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
