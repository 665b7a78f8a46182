@testable import Larder

/// Types and validates raw batches for ``FuzzView/view`` the way a backfill
/// does (type, validate, sort by primary key, reorder), trapping when the
/// typed batch does not have one value per row in every column, or when a
/// typed number differs from what the standard library reads in its text.
struct TypingCheck {
    /// The typing stage.
    let typer: BatchTyper
    /// The validation stage.
    let validator: Validator

    /// The stages for input columns `names`, or nil when they do not map onto
    /// the view (the backfill refuses such input before reading rows).
    init?(names: [String], options: IngestOptions, isJSON: Bool) {
        let view = FuzzView.view
        guard let mapping = try? InputMapping.make(names: names, view: view, options: options, file: "fuzz") else {
            return nil
        }
        typer = BatchTyper(view: view, mapping: mapping, options: options, file: "fuzz", names: names,
                           isJSON: isJSON, defaultCreated: 0)
        validator = Validator(view: view, file: "fuzz")
    }

    /// Runs both stages over `raw` and checks the result's shape.
    func check(_ raw: RawBatch) {
        let rows = raw.rowCount
        var batch = WriteBatch(view: typer.view, capacity: rows)
        var log = ProblemLog()
        log.startBatch(rows: rows)
        typer.type(raw, into: &batch, log: &log)
        validator.check(batch, rows: 0 ..< batch.count, log: &log)
        invariant(batch.count == rows && batch.createdTimes.count == rows && batch.lines == raw.lines,
                     "typed batch has the wrong number of rows")
        for column in batch.keys + batch.features {
            invariant(column.count == rows, "typed column has the wrong number of rows")
        }
        checkNumbers(batch, raw)
        let order = batch.primaryKeyOrder()
        invariant(order.sorted() == Array(0 ..< rows), "primary key order is not a permutation")
        _ = batch.gathered(order)
        _ = log.gathered(order)
        _ = log.error.description
    }

    /// Traps unless every typed int64 and float64 feature value equals what
    /// `Int64(_:)` and `Double(_:)` read in the same text: Larder's fast
    /// parsers must not change a number.
    private func checkNumbers(_ batch: WriteBatch, _ raw: RawBatch) {
        for (f, feature) in typer.view.features.enumerated() {
            guard let column = typer.mapping.features[f], feature.type == .int64 || feature.type == .float64 else {
                continue
            }
            let values = batch.features[f]
            for row in 0 ..< raw.rowCount where values.validity[row] {
                let text = raw.withField(row: row, column: column) { String(decoding: $1, as: UTF8.self) }
                if feature.type == .int64 {
                    invariant(Int64(text) == values.ints[row], "int64 \(text) typed as \(values.ints[row])")
                } else {
                    let typed = values.doubles[row]
                    let expected = Double(text)
                    invariant(expected == typed || (expected?.isNaN == true && typed.isNaN),
                              "float64 \(text) typed as \(typed), Double(_:) reads \(expected.map { "\($0)" } ?? "nothing")")
                }
            }
        }
    }
}
