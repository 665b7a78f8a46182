/// Decodes the columns of one record batch, in schema order, from the
/// message's body into ``Column``s, checking every buffer's size and every
/// offset and index against the buffers before it reads them.
struct ArrowColumnDecoder {
    /// The whole input.
    let bytes: [UInt8]
    /// Where the body starts in ``bytes`` (its length was checked against the input).
    let body: Int
    /// The batch's layout.
    let batch: ArrowMessage.Batch
    /// The message, for errors (`message 3`).
    let place: String
    /// The number of rows of the input before this batch, for errors.
    let firstRow: Int
    /// The next node to read.
    private var node = 0
    /// The next buffer to read.
    private var buffer = 0

    /// A decoder of `batch`, whose body starts at `body`.
    init(bytes: [UInt8], body: Int, batch: ArrowMessage.Batch, place: String, firstRow: Int) {
        self.bytes = bytes
        self.body = body
        self.batch = batch
        self.place = place
        self.firstRow = firstRow
    }

    /// An error naming the message, `column` and, when given, the row (from 1).
    func failure(_ column: String, row: Int? = nil, _ what: String) -> LarderError {
        .invalidInput("Arrow IPC \(place), column \"\(column)\"\(row.map { ", row \(firstRow + $0 + 1)" } ?? ""): \(what)")
    }

    /// The next field's rows and nulls.
    private mutating func nextNode(_ column: String) throws(LarderError) -> ArrowMessage.Batch.FieldNode {
        guard node < batch.nodes.count else { throw failure(column, "the batch lists fewer columns than the schema") }
        defer { node += 1 }
        return batch.nodes[node]
    }

    /// The next buffer's absolute byte range, which must hold at least `needed` bytes.
    private mutating func nextBuffer(_ column: String, needed: Int, what: String) throws(LarderError) -> Range<Int> {
        guard buffer < batch.buffers.count else { throw failure(column, "the batch lists fewer buffers than its columns need") }
        defer { buffer += 1 }
        let range = batch.buffers[buffer]
        guard range.count >= needed else {
            throw failure(column, "its \(what) buffer holds \(range.count) bytes; \(needed) are needed")
        }
        return (body + range.lowerBound)..<(body + range.upperBound)
    }

    /// The validity of each of `rows` rows: nil when none is null.
    private mutating func validity(_ column: String, _ node: ArrowMessage.Batch.FieldNode) throws(LarderError) -> Range<Int>? {
        let needed = node.nullCount == 0 ? 0 : (node.length + 7) / 8
        let range = try nextBuffer(column, needed: needed, what: "validity")
        return node.nullCount == 0 ? nil : range
    }

    /// Whether bit `row` of the bitmap at `range` is set.
    private func bit(_ range: Range<Int>?, _ row: Int) -> Bool {
        guard let range else { return true }
        return bytes[range.lowerBound + row >> 3] & (1 << UInt8(row & 7)) != 0
    }

    /// The next field, of `field`'s type, appended to `column`; a dictionary
    /// field's indices are looked up in `dictionaries`.
    mutating func decode(_ field: ArrowField, dictionaries: [Int64: Column], into column: inout Column) throws(LarderError) {
        let name = field.name
        let node = try nextNode(name)
        let valid = try validity(name, node)
        let rows = node.length
        if let encoding = field.dictionary {
            guard let values = dictionaries[encoding.id] else {
                throw failure(name, "dictionary \(encoding.id) was not sent before the batch that uses it")
            }
            let indices = try nextBuffer(name, needed: rows * (encoding.indexBits / 8), what: "index")
            let limit = Self.expansionLimit(inputBytes: bytes.count)
            for row in 0..<rows {
                guard bit(valid, row) else { column.appendNull(); continue }
                let index = integer(indices.lowerBound, row, bits: encoding.indexBits, signed: encoding.indexSigned)
                guard index >= 0, index < values.count else {
                    throw failure(name, row: row, "dictionary index \(index) is outside the dictionary of \(values.count) values")
                }
                column.append(from: values, row: Int(index))
                guard column.bytes.count <= limit else {
                    throw failure(name, row: row, "the dictionary's strings expand past \(limit) bytes (64 times the input); send them plain")
                }
            }
            return
        }
        switch field.type {
        case .int(let bits, let signed):
            let data = try nextBuffer(name, needed: rows * (bits / 8), what: "data")
            for row in 0..<rows {
                if bit(valid, row) { column.append(integer(data.lowerBound, row, bits: bits, signed: signed)) } else { column.appendNull() }
            }
        case .float(let bits):
            let data = try nextBuffer(name, needed: rows * (bits / 8), what: "data")
            for row in 0..<rows {
                guard bit(valid, row) else { column.appendNull(); continue }
                let raw = integer(data.lowerBound, row, bits: bits, signed: false)
                column.append(bits == 32 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))) : Double(bitPattern: UInt64(bitPattern: raw)))
            }
        case .bool:
            let data = try nextBuffer(name, needed: (rows + 7) / 8, what: "data")
            for row in 0..<rows {
                if bit(valid, row) { column.append(bit(data, row)) } else { column.appendNull() }
            }
        case .utf8(let offsetBits):
            let offsets = try nextBuffer(name, needed: (rows + 1) * (offsetBits / 8), what: "offsets")
            let data = try nextBuffer(name, needed: 0, what: "data")
            for row in 0..<rows {
                guard bit(valid, row) else { column.appendNull(); continue }
                let start = integer(offsets.lowerBound, row, bits: offsetBits, signed: true)
                let end = integer(offsets.lowerBound, row + 1, bits: offsetBits, signed: true)
                guard start >= 0, start <= end, end <= Int64(data.count) else {
                    throw failure(name, row: row, "the string's offsets \(start)..<\(end) lie outside its data buffer of \(data.count) bytes")
                }
                let invalid: Int? = bytes.withUnsafeBytes { all in
                    let value = UnsafeRawBufferPointer(rebasing: all[(data.lowerBound + Int(start))..<(data.lowerBound + Int(end))])
                    if let bad = value.firstInvalidUTF8Offset() { return bad }
                    column.append(bytes: value)
                    return nil
                }
                if let invalid { throw failure(name, row: row, "the string is not valid UTF-8 (byte \(invalid + 1))") }
            }
        case .timestamp, .date(days: false):
            let (multiplier, divisor): (Int64, Int64) = switch field.type {
            case .timestamp(exponent: 0, _): (1_000_000, 1)
            case .timestamp(exponent: 3, _), .date: (1_000, 1)
            case .timestamp(exponent: 9, _): (1, 1_000)
            default: (1, 1)
            }
            let data = try nextBuffer(name, needed: rows * 8, what: "data")
            for row in 0..<rows {
                guard bit(valid, row) else { column.appendNull(); continue }
                column.append(try micros(integer(data.lowerBound, row, bits: 64, signed: true), multiplier, divisor, name, row))
            }
        case .date(days: true):
            let data = try nextBuffer(name, needed: rows * 4, what: "data")
            for row in 0..<rows {
                guard bit(valid, row) else { column.appendNull(); continue }
                column.append(try micros(integer(data.lowerBound, row, bits: 32, signed: true), 86_400_000_000, 1, name, row))
            }
        }
    }

    /// The most bytes of strings dictionary indices may expand to: 64 times
    /// the input, and at least 64 MiB, so that a small hostile input cannot
    /// exhaust memory by repeating one long value.
    static func expansionLimit(inputBytes: Int) -> Int {
        max(inputBytes, 1 << 20) * 64
    }

    /// `value` × `multiplier` ÷ `divisor` (rounded down): microseconds.
    private func micros(_ value: Int64, _ multiplier: Int64, _ divisor: Int64, _ name: String, _ row: Int) throws(LarderError) -> Int64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        let (quotient, remainder) = product.quotientAndRemainder(dividingBy: divisor)
        let micros = remainder < 0 ? quotient - 1 : quotient
        guard !overflow, Timestamp.supported.contains(micros) else {
            throw failure(name, row: row, "the time \(value) is outside years 0001–9999 (UTC)")
        }
        return micros
    }

    /// The `bits`-wide little-endian integer number `row` of the buffer at `start`
    /// (the caller checked that the buffer holds it).
    private func integer(_ start: Int, _ row: Int, bits: Int, signed: Bool) -> Int64 {
        let at = start + row * (bits / 8)
        return bytes.withUnsafeBytes { raw in
            switch (bits, signed) {
            case (8, true): Int64(raw.load(fromByteOffset: at, as: Int8.self))
            case (8, false): Int64(raw.load(fromByteOffset: at, as: UInt8.self))
            case (16, true): Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int16.self)))
            case (16, false): Int64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
            case (32, true): Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
            case (32, false): Int64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            default: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self))
            }
        }
    }
}
