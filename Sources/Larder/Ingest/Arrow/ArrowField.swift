/// One column of an Arrow schema, as far as Larder reads it: its name and
/// the type of its values (`Schema.fbs`'s `Field`).
struct ArrowField {
    /// The types read. Anything else is refused by name.
    enum ValueType: Equatable {
        /// `Int` of 8, 16, 32 or 64 bits, signed; or of 8, 16 or 32 bits, unsigned.
        case int(bits: Int, signed: Bool)
        /// `FloatingPoint` of 32 or 64 bits.
        case float(bits: Int)
        /// `Bool`, bit-packed.
        case bool
        /// `Utf8` (32-bit offsets) or `LargeUtf8` (64-bit offsets).
        case utf8(offsetBits: Int)
        /// `Timestamp` in units of 10^-`exponent` seconds (0, 3, 6 or 9),
        /// `zoned` when it has a time zone.
        case timestamp(exponent: Int, zoned: Bool)
        /// `Date` in days (`date32`) or milliseconds (`date64`).
        case date(days: Bool)

        /// The Larder type its values become.
        var featureType: FeatureType {
            switch self {
            case .int: .int64
            case .float: .float64
            case .bool: .bool
            case .utf8: .string
            case .timestamp, .date: .timestamp
            }
        }
    }

    /// A dictionary encoding: the values are indices into the dictionary `id`.
    struct DictionaryEncoding: Equatable {
        /// The dictionary's id.
        var id: Int64
        /// The width of an index in bits.
        var indexBits: Int
        /// Whether indices are signed.
        var indexSigned: Bool
    }

    /// The column's name.
    var name: String
    /// The type of its values (of the dictionary's values when encoded).
    var type: ValueType
    /// The dictionary encoding, if any.
    var dictionary: DictionaryEncoding?

    /// The field described by `table` (a `Field`); `position` names it in errors.
    init(_ table: FlatTable, position: Int) throws(LarderError) {
        let buffer = table.buffer
        name = try table.string(0) ?? ""
        let label = "column \(position + 1) (\"\(name)\")"
        guard try table.tables(5).isEmpty else {
            throw buffer.failure("\(label) is a nested type; only flat columns are read")
        }
        let typeID = try table.scalar(2, UInt8.self)
        let detail = try table.table(3)
        func needDetail() throws(LarderError) -> FlatTable {
            guard let detail else { throw buffer.failure("\(label) has no type details") }
            return detail
        }
        switch typeID {
        case 2:
            let int = try needDetail()
            let bits = Int(try int.scalar(0, Int32.self))
            let signed = try int.flag(1)
            guard [8, 16, 32, 64].contains(bits), signed || bits < 64 else {
                throw buffer.failure("\(label) is \(signed ? "" : "u")int\(bits); Larder reads int8–int64 and uint8–uint32")
            }
            type = .int(bits: bits, signed: signed)
        case 3:
            switch try needDetail().scalar(0, Int16.self) {
            case 1: type = .float(bits: 32)
            case 2: type = .float(bits: 64)
            default: throw buffer.failure("\(label) is float16; Larder reads float32 and float64")
            }
        case 5: type = .utf8(offsetBits: 32)
        case 20: type = .utf8(offsetBits: 64)
        case 6: type = .bool
        case 8: type = .date(days: try needDetail().scalar(0, Int16.self, absent: 1) == 0)
        case 10:
            let timestamp = try needDetail()
            let unit = try timestamp.scalar(0, Int16.self)
            guard (0...3).contains(unit) else { throw buffer.failure("\(label) has an unknown time unit \(unit)") }
            type = .timestamp(exponent: 3 * Int(unit), zoned: !(try timestamp.string(1) ?? "").isEmpty)
        default:
            let names: [UInt8: String] = [0: "NONE", 1: "null", 4: "binary", 7: "decimal", 9: "time", 11: "interval",
                                          12: "list", 13: "struct", 14: "union", 15: "fixed_size_binary",
                                          16: "fixed_size_list", 17: "map", 18: "duration", 19: "large_binary",
                                          21: "large_list", 22: "run_end_encoded", 23: "binary_view", 24: "string_view",
                                          25: "list_view", 26: "large_list_view"]
            throw buffer.failure("\(label) is of type \(names[typeID] ?? "#\(typeID)"), which Larder does not read "
                + "(it reads int8–int64, uint8–uint32, float32/64, bool, utf8, large_utf8, timestamp, date32/64 "
                + "and dictionaries of these)")
        }
        if let encoding = try table.table(4) {
            let index = try encoding.table(1)
            let bits = Int(try index?.scalar(0, Int32.self) ?? 32)
            let signed = try index?.flag(1) ?? true
            guard [8, 16, 32, 64].contains(bits) else { throw buffer.failure("\(label) has dictionary indices of \(bits) bits") }
            dictionary = DictionaryEncoding(id: try encoding.scalar(0, Int64.self), indexBits: bits, indexSigned: signed)
        }
    }
}
