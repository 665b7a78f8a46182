import CLarder
import Larder

/// Reads one incoming Arrow column, batch by batch, into a ``Column``,
/// after checking the array's buffers against its format.
struct ColumnReader {
    /// The Arrow layouts Larder reads.
    enum Kind: Equatable {
        case integer(bytes: Int, signed: Bool)
        case float32, float64, bool, null
        case text(large: Bool), binary(large: Bool)
        /// Microseconds = value × multiplier / divisor.
        case timestamp(multiplier: Int64, divisor: Int64)
        /// A fixed-size list of `n` float32 (or float64) values.
        case floats(n: Int, double: Bool)
        /// A list of float32 (or float64) values, read into a vector of the wished-for dimension.
        case list(large: Bool, double: Bool)
    }

    let name: String
    let kind: Kind
    let format: String
    private(set) var column: Column

    init(_ field: ArrowImport.Field, wish: ArrowImport.Wish, assumeUTC: Bool) throws(LarderError) {
        name = field.name
        format = field.format
        guard !field.dictionary else {
            throw .invalidInput("column \"\(name)\" is dictionary-encoded (a pandas category?); decode it first")
        }
        kind = try Self.kind(field, assumeUTC: assumeUTC)
        let natural: FeatureType = switch kind {
        case .integer: .int64
        case .float32, .float64: .float64
        case .bool: .bool
        case .text: .string
        case .binary: .bytes
        case .timestamp: .timestamp
        case .floats(let n, _): .vector(dimension: n)
        case .null, .list: .string
        }
        var type = natural
        if case .type(let wanted) = wish {
            let fits = switch (kind, wanted) {
            case (.null, _): true
            case (.list, .vector): true
            case (.list, _): false
            case (_, .float64): natural == .int64 || natural == .float64
            // pandas holds an integer column with nulls as float64: whole numbers are read back.
            case (_, .int64): natural == .int64 || natural == .float64
            case (_, .timestamp): natural == .int64 || natural == .timestamp
            case (_, .bytes): natural == .string || natural == .bytes
            default: natural == wanted
            }
            guard fits else {
                let actual = if case .list = kind { "a list" } else { "\(natural)" }
                throw .invalidInput("column \"\(name)\" is Arrow \"\(format)\" (\(actual)), but \(wanted) is expected")
            }
            type = wanted
        } else if case .list = kind {
            throw .invalidInput("column \"\(name)\" is a list (Arrow \"\(format)\"); Larder reads lists only as a view's vectors")
        }
        column = Column(type: type)
    }

    private static func kind(_ field: ArrowImport.Field, assumeUTC: Bool) throws(LarderError) -> Kind {
        let unsupported = LarderError.invalidInput("column \"\(field.name)\" has the Arrow type \"\(field.format)\", which Larder does not read (int, float, bool, string, binary, timestamp, fixed_size_list<float32>)")
        switch field.format {
        case "c": return .integer(bytes: 1, signed: true)
        case "C": return .integer(bytes: 1, signed: false)
        case "s": return .integer(bytes: 2, signed: true)
        case "S": return .integer(bytes: 2, signed: false)
        case "i": return .integer(bytes: 4, signed: true)
        case "I": return .integer(bytes: 4, signed: false)
        case "l": return .integer(bytes: 8, signed: true)
        case "L": return .integer(bytes: 8, signed: false)
        case "f": return .float32
        case "g": return .float64
        case "b": return .bool
        case "n": return .null
        case "u": return .text(large: false)
        case "U": return .text(large: true)
        case "z": return .binary(large: false)
        case "Z": return .binary(large: true)
        default: break
        }
        let format = field.format
        if format.hasPrefix("ts"), format.count >= 4, Array(format)[3] == ":" {
            let zone = String(format.dropFirst(4))
            guard !zone.isEmpty || assumeUTC else {
                throw .invalidInput("column \"\(field.name)\" holds timestamps without a time zone; give them one (UTC) or say they are UTC (assume_utc)")
            }
            switch Array(format)[2] {
            case "s": return .timestamp(multiplier: 1_000_000, divisor: 1)
            case "m": return .timestamp(multiplier: 1_000, divisor: 1)
            case "u": return .timestamp(multiplier: 1, divisor: 1)
            case "n": return .timestamp(multiplier: 1, divisor: 1_000)
            default: throw unsupported
            }
        }
        if format.hasPrefix("+w:"), let n = Int(format.dropFirst(3)), n > 0, let item = field.item, item == "f" || item == "g" {
            return .floats(n: n, double: item == "g")
        }
        if format == "+l" || format == "+L", let item = field.item, item == "f" || item == "g" {
            return .list(large: format == "+L", double: item == "g")
        }
        throw unsupported
    }

    /// The number of buffers and children an array of this kind has.
    private var shape: (buffers: Int64, children: Int64) {
        switch kind {
        case .null: (0, 0)
        case .text, .binary: (3, 0)
        case .floats: (1, 1)
        case .list: (2, 1)
        default: (2, 0)
        }
    }

    /// Appends rows `parentOffset ..< parentOffset + count` of `array` (a
    /// child of a struct array at that offset).
    mutating func append(_ array: ArrowArray, from parentOffset: Int, count: Int) throws(LarderError) {
        let shape = shape
        guard array.n_buffers == shape.buffers, array.n_children == shape.children, array.offset >= 0,
              array.length >= Int64(parentOffset + count), shape.buffers == 0 || array.buffers != nil,
              shape.children == 0 || array.children != nil else {
            throw .invalidInput("column \"\(name)\" (Arrow \"\(format)\"): \(array.n_buffers) buffers, \(array.n_children) children, length \(array.length), offset \(array.offset) do not fit a batch of \(parentOffset + count) rows")
        }
        let start = Int(array.offset) + parentOffset
        if case .null = kind {
            for _ in 0..<count { column.appendNull() }
            return
        }
        let validity = array.buffers[0]
        guard validity != nil || array.null_count == 0 || (array.null_count == -1) else {
            throw .invalidInput("column \"\(name)\" says it has \(array.null_count) nulls but has no validity bitmap")
        }
        func valid(_ row: Int) -> Bool {
            guard let validity else { return true }
            let bit = start + row
            return validity.load(fromByteOffset: bit >> 3, as: UInt8.self) & (1 << UInt8(bit & 7)) != 0
        }
        if case .floats(let n, let double) = kind {
            guard let item = array.children[0]?.pointee, item.n_buffers == 2, item.buffers != nil, item.offset >= 0,
                  item.length >= Int64((start + count) * n) - item.offset else {
                throw .invalidInput("column \"\(name)\" (Arrow \"\(format)\"): its values array does not fit \(count) vectors")
            }
            let itemValidity = item.null_count == 0 ? nil : item.buffers[0]
            let values = try data(item.buffers[1], rows: (start + count) * n + Int(item.offset))
            var vector = [Float](repeating: 0, count: n)
            for row in 0..<count {
                guard valid(row) else { column.appendNull(); continue }
                let base = (Int(item.offset) + (start + row) * n)
                for k in 0..<n {
                    if let itemValidity, itemValidity.load(fromByteOffset: (base + k) >> 3, as: UInt8.self) & (1 << UInt8((base + k) & 7)) == 0 {
                        throw .invalidInput("column \"\(name)\" row \(column.count + 1) has a null inside its vector; a vector is null as a whole or not at all")
                    }
                    vector[k] = double ? Float(values.loadUnaligned(fromByteOffset: (base + k) * 8, as: Double.self))
                        : values.loadUnaligned(fromByteOffset: (base + k) * 4, as: Float.self)
                }
                column.append(vector: vector)
            }
            return
        }
        if case .list(let large, let double) = kind {
            try appendLists(array, start: start, count: count, large: large, double: double, valid: valid)
            return
        }
        let values = try data(array.buffers[1], rows: start + count)
        switch kind {
        case .integer(let bytes, let signed):
            for row in 0..<count {
                guard valid(row) else { column.appendNull(); continue }
                let at = (start + row) * bytes
                let value: Int64
                switch (bytes, signed) {
                case (1, true): value = Int64(values.load(fromByteOffset: at, as: Int8.self))
                case (1, false): value = Int64(values.load(fromByteOffset: at, as: UInt8.self))
                case (2, true): value = Int64(values.loadUnaligned(fromByteOffset: at, as: Int16.self))
                case (2, false): value = Int64(values.loadUnaligned(fromByteOffset: at, as: UInt16.self))
                case (4, true): value = Int64(values.loadUnaligned(fromByteOffset: at, as: Int32.self))
                case (4, false): value = Int64(values.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                case (8, false):
                    let unsigned = values.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                    guard unsigned <= UInt64(Int64.max) else {
                        throw .invalidInput("column \"\(name)\" row \(column.count + 1): \(unsigned) does not fit an int64")
                    }
                    value = Int64(unsigned)
                default: value = values.loadUnaligned(fromByteOffset: at, as: Int64.self)
                }
                if column.type == .float64 { column.append(Double(value)) } else { column.append(value) }
            }
        case .float32, .float64:
            let single = kind == .float32
            for row in 0..<count {
                guard valid(row) else { column.appendNull(); continue }
                let value = single ? Double(values.loadUnaligned(fromByteOffset: (start + row) * 4, as: Float.self))
                                   : values.loadUnaligned(fromByteOffset: (start + row) * 8, as: Double.self)
                guard column.type == .int64 else { column.append(value); continue }
                if value.isNaN { column.appendNull(); continue }  // pandas' null
                guard let whole = Int64(exactly: value) else {
                    throw .invalidInput("column \"\(name)\" row \(column.count + 1): \(value) is not an int64")
                }
                column.append(whole)
            }
        case .bool:
            for row in 0..<count {
                guard valid(row) else { column.appendNull(); continue }
                let bit = start + row
                column.append(values.load(fromByteOffset: bit >> 3, as: UInt8.self) & (1 << UInt8(bit & 7)) != 0)
            }
        case .timestamp(let multiplier, let divisor):
            for row in 0..<count {
                guard valid(row) else { column.appendNull(); continue }
                let raw = values.loadUnaligned(fromByteOffset: (start + row) * 8, as: Int64.self)
                let (scaled, overflow) = raw.multipliedReportingOverflow(by: multiplier)
                guard !overflow else {
                    throw .invalidInput("column \"\(name)\" row \(column.count + 1): the time \(raw) (Arrow \"\(format)\") is out of range")
                }
                // Floor division: a time before the epoch stays before it.
                let micros = divisor == 1 ? scaled : (scaled >= 0 ? scaled / divisor : -((-scaled + divisor - 1) / divisor))
                column.append(micros)
            }
        case .text(let large), .binary(let large):
            let width = large ? 8 : 4
            func offset(_ i: Int) -> Int {
                large ? Int(values.loadUnaligned(fromByteOffset: i * width, as: Int64.self))
                      : Int(values.loadUnaligned(fromByteOffset: i * width, as: Int32.self))
            }
            guard let bytes = array.buffers[2] ?? (offset(start + count) == offset(start) ? UnsafeRawPointer(bitPattern: 8) : nil) else {
                throw .invalidInput("column \"\(name)\" (Arrow \"\(format)\") has no data buffer")
            }
            var previous = offset(start)
            guard previous >= 0 else { throw .invalidInput("column \"\(name)\" has a negative offset") }
            for row in 0..<count {
                let next = offset(start + row + 1)
                guard next >= previous else {
                    throw .invalidInput("column \"\(name)\" row \(column.count + 1): its offsets go backwards (\(previous) then \(next))")
                }
                if valid(row) {
                    column.append(bytes: UnsafeRawBufferPointer(start: bytes + previous, count: next - previous))
                } else {
                    column.appendNull()
                }
                previous = next
            }
        case .null, .floats, .list: break
        }
    }

    /// Appends lists of floats as vectors: each present list must hold the dimension's count.
    private mutating func appendLists(_ array: ArrowArray, start: Int, count: Int, large: Bool, double: Bool,
                                      valid: (Int) -> Bool) throws(LarderError) {
        let n = column.dimension
        let offsets = try data(array.buffers[1], rows: start + count + 1)
        func offset(_ i: Int) -> Int {
            large ? Int(offsets.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                  : Int(offsets.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        }
        guard let item = array.children[0]?.pointee, item.n_buffers == 2, item.buffers != nil, item.offset >= 0,
              count == 0 || (offset(start) >= 0 && item.length >= Int64(offset(start + count))) else {
            throw .invalidInput("column \"\(name)\" (Arrow \"\(format)\"): its values array does not fit its offsets")
        }
        let itemValidity = item.null_count == 0 ? nil : item.buffers[0]
        let values = try data(item.buffers[1], rows: count == 0 ? 0 : offset(start + count) + Int(item.offset))
        var vector = [Float](repeating: 0, count: n)
        for row in 0..<count {
            guard valid(row) else { column.appendNull(); continue }
            let begin = offset(start + row), end = offset(start + row + 1)
            guard end - begin == n, begin >= 0 else {
                throw .invalidInput("column \"\(name)\" row \(column.count + 1): a list of \(end - begin) values for a vector of \(n)")
            }
            for k in 0..<n {
                let at = Int(item.offset) + begin + k
                if let itemValidity, itemValidity.load(fromByteOffset: at >> 3, as: UInt8.self) & (1 << UInt8(at & 7)) == 0 {
                    throw .invalidInput("column \"\(name)\" row \(column.count + 1) has a null inside its vector; a vector is null as a whole or not at all")
                }
                vector[k] = double ? Float(values.loadUnaligned(fromByteOffset: at * 8, as: Double.self))
                    : values.loadUnaligned(fromByteOffset: at * 4, as: Float.self)
            }
            column.append(vector: vector)
        }
    }

    /// A data buffer that must be there when any row is read.
    private func data(_ buffer: UnsafeRawPointer?, rows: Int) throws(LarderError) -> UnsafeRawPointer {
        if let buffer { return buffer }
        guard rows == 0 else { throw .invalidInput("column \"\(name)\" (Arrow \"\(format)\") has no data buffer") }
        return UnsafeRawPointer(bitPattern: 8)!
    }
}
