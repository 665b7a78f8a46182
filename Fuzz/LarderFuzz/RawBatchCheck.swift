@testable import Larder

extension RawBatch {
    /// Traps unless the batch is well-formed: one cell per column in every
    /// row, every cell inside the arena, only `kinds`, text that is valid
    /// UTF-8, rows in increasing line order, a raw record per row when
    /// they are kept.
    func checkShape(kinds allowed: Set<FieldKind>) {
        let cells = rowCount * columnCount
        invariant(starts.count == cells && lengths.count == cells && kinds.count == cells,
                     "cell count is not rows × columns")
        invariant(lines.count == rowCount, "one line per row")
        invariant(zip(lines, lines.dropFirst()).allSatisfy { $0 < $1 }, "rows out of line order")
        withArena { arena in
            for cell in 0 ..< cells {
                let start = starts[cell], length = Int(lengths[cell])
                invariant(start >= 0 && length >= 0 && start + length <= arena.count, "cell outside the arena")
                invariant(allowed.contains(kinds[cell]), "unexpected field kind \(kinds[cell])")
                if kinds[cell] == .text {
                    let text = UnsafeRawBufferPointer(rebasing: arena[start ..< start + length])
                    invariant(text.firstInvalidUTF8Offset() == nil, "text field is not valid UTF-8")
                }
            }
        }
        if rawRecords != nil { invariant(rawOffsets.count == rowCount + 1, "one raw record per row") }
        for bad in badRecords { invariant(bad.line >= 1 && bad.problem.line == bad.line, "bad record without its line") }
    }
}
