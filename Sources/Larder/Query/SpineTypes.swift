/// The types of a CSV spine's passthrough columns (those that are neither a
/// join key nor the event time), so that a training set keeps labels and
/// weights as numbers.
///
/// A column named in ``IngestOptions/spineTypes`` is parsed as that type
/// (`int64`, `float64`, `bool`, `timestamp`, `string`); a value that does
/// not parse is a problem naming its line. Any other column is typed by
/// inference: `int64`, else `float64`, else `bool`, else `timestamp`, when
/// it has a value, every value parses as that type *and is already written the way Larder
/// writes that type* (`1`, `0.5`, `true`, `2026-11-26T10:00:00.000000Z`);
/// otherwise it stays `string`. So a CSV training set is byte for byte the
/// spine's text, whatever the inference (and a manifest made before spine
/// columns were typed reproduces); only Arrow and Python see the types.
enum SpineTypes {
    /// The types a spine column may be given.
    static let allowed: [FeatureType] = [.int64, .float64, .bool, .timestamp, .string]

    /// Checks what `asked` (``IngestOptions/spineTypes``) names against the
    /// spine's column `names`; `problem(column, reason)` hears of each mistake.
    static func check(_ asked: [String: FeatureType], names: [String], joinKeys: [JoinKey], options: IngestOptions,
                      problem: (String, String) -> Void) {
        for name in asked.keys.sorted() {
            if !names.contains(name) {
                problem(name, "--spine-types names a column that the spine does not have")
            } else if joinKeys.contains(where: { $0.name == name }) || name == options.eventTimeColumn {
                problem(name, "a join key or the event time column has its own type; --spine-types cannot change it")
            } else if let type = asked[name], !allowed.contains(type) {
                problem(name, "a spine column can be int64, float64, bool, timestamp or string, not \(type)")
            }
        }
    }

    /// `column` (text) as the type asked for or inferred; `failed(row,
    /// value, reason)` hears of each value that is not of the asked type.
    static func type(_ column: Column, asked: FeatureType?, options: IngestOptions,
                     failed: (Int, String, String) -> Void) -> Column {
        if let asked {
            return asked == .string ? column : convert(column, to: asked, exact: false, options: options) { row, value in
                failed(row, value, "not a \(asked)")
            } ?? column
        }
        // A column with no value says nothing about its type.
        guard column.validity.nonzeroBitCount > 0 else { return column }
        for type in [FeatureType.int64, .float64, .bool, .timestamp] {
            if let typed = convert(column, to: type, exact: true, options: options, failed: { _, _ in }) { return typed }
        }
        return column
    }

    /// The values of `column` parsed as `type`, or nil when one does not parse
    /// (or, with `exact`, is not written as Larder writes it); `failed` hears
    /// of each value that does not parse.
    private static func convert(_ column: Column, to type: FeatureType, exact: Bool, options: IngestOptions,
                                failed: (Int, String) -> Void) -> Column? {
        var typed = Column(type: type, capacity: column.count)
        var ok = true
        var text: [UInt8] = []
        for row in 0..<column.count {
            guard column.isValid(row) else { typed.appendNull(); continue }
            let bytes = column.byteSlice(row)
            let parsed: Bool = bytes.withUnsafeBytes { raw in
                text.removeAll(keepingCapacity: true)
                switch type {
                case .int64:
                    guard let value = FieldParser.int64(raw) else { return false }
                    typed.append(value)
                    if exact { TextFormatting.appendInteger(value, to: &text) }
                case .float64:
                    guard let value = FieldParser.double(raw), !exact || value.isFinite else { return false }
                    typed.append(value)
                    if exact { TextFormatting.appendFinite(value, to: &text) }
                case .bool:
                    guard let value = FieldParser.bool(raw) else { return false }
                    typed.append(value)
                    if exact { text.append(contentsOf: (value ? "true" : "false").utf8) }
                case .timestamp:
                    guard case .success(let value) = FieldParser.timestamp(raw, kind: .text, options: options) else { return false }
                    typed.append(value)
                    if exact { text.append(contentsOf: Timestamp.format(value).utf8) }
                default:
                    return false
                }
                return !exact || text.elementsEqual(raw)
            }
            if !parsed {
                if exact { return nil }
                ok = false
                typed.appendNull()
                failed(row, String(decoding: bytes, as: UTF8.self))
            }
        }
        return ok ? typed : nil
    }
}
