@testable import Larder

/// Types and validates raw batches for ``FuzzView/view`` the way a backfill
/// does (type, validate, sort by primary key, reorder), trapping when the
/// typed batch does not have one value per row in every column.
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
        let order = batch.primaryKeyOrder()
        invariant(order.sorted() == Array(0 ..< rows), "primary key order is not a permutation")
        _ = batch.gathered(order)
        _ = log.gathered(order)
        _ = log.error.description
    }
}
