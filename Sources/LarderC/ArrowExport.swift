import CLarder
import Glibc
import Larder

/// Columns handed to a consumer through the Arrow C stream interface without
/// copying: the arrays point at the columns' own buffers, which this object
/// keeps alive (and never mutates) until the last exported array is released.
///
/// Layouts (Arrow's): validity as the column's bitmap words (LSB first);
/// `int64` "l", `float64` "g", `timestamp` "tsu:UTC" over the values;
/// `string` "U" / `bytes` "Z" (64-bit offsets) over offsets and bytes;
/// `vector<float32, N>` "+w:N" with a "f" child over the floats. `bool` is
/// the one exception: Larder keeps a byte per value, Arrow a bit, so bools
/// are packed here once. Statuses are "c" (int8) columns.
final class ExportedColumns: @unchecked Sendable {
    /// One exported column.
    enum Values {
        case column(Column)
        case int8([Int8])
    }

    let names: [String]
    let values: [Values]
    let rows: Int
    /// Bit-packed values of the `bool` columns, by column position.
    private let packedBools: [Int: [UInt64]]

    init(names: [String], values: [Values], rows: Int) {
        self.names = names
        self.values = values
        self.rows = rows
        var packed: [Int: [UInt64]] = [:]
        for (i, value) in values.enumerated() {
            guard case .column(let column) = value, column.type == .bool else { continue }
            var words = [UInt64](repeating: 0, count: (column.count + 63) / 64)
            for (row, bit) in column.bools.enumerated() where bit { words[row >> 6] |= 1 << UInt64(row & 63) }
            packed[i] = words
        }
        packedBools = packed
    }

    convenience init(_ frame: FeatureFrame) {
        self.init(names: frame.names, values: frame.columns.map { .column($0) }, rows: frame.rowCount)
    }

    /// A stream of one batch of these columns, written into `out` (the consumer's struct).
    func exportStream(into out: UnsafeMutablePointer<ArrowArrayStream>) {
        out.pointee = ArrowArrayStream(
            get_schema: { stream, schema in
                guard let stream, let schema else { return EINVAL }
                ExportedColumns.stream(stream).owner.exportSchema(into: schema)
                return 0
            },
            get_next: { stream, array in
                guard let stream, let array else { return EINVAL }
                let state = ExportedColumns.stream(stream)
                if state.sent {
                    array.pointee = ArrowArray()
                } else {
                    state.sent = true
                    state.owner.exportBatch(into: array)
                }
                return 0
            },
            get_last_error: { _ in nil },
            release: { stream in
                guard let stream, stream.pointee.release != nil, let state = stream.pointee.private_data else { return }
                Unmanaged<StreamState>.fromOpaque(state).release()
                stream.pointee.release = nil
            },
            private_data: Unmanaged.passRetained(StreamState(owner: self)).toOpaque()
        )
    }

    /// A stream's state: its columns, and whether the batch was handed out.
    private final class StreamState {
        let owner: ExportedColumns
        var sent = false
        init(owner: ExportedColumns) { self.owner = owner }
    }

    private static func stream(_ stream: UnsafeMutablePointer<ArrowArrayStream>) -> StreamState {
        Unmanaged<StreamState>.fromOpaque(stream.pointee.private_data).takeUnretainedValue()
    }

    // MARK: Schema

    private func exportSchema(into out: UnsafeMutablePointer<ArrowSchema>) {
        let children = names.indices.map { i -> UnsafeMutablePointer<ArrowSchema> in
            let child = UnsafeMutablePointer<ArrowSchema>.allocate(capacity: 1)
            switch values[i] {
            case .int8: child.initialize(to: Self.schema(format: "c", name: names[i]))
            case .column(let column):
                if case .vector(let n) = column.type {
                    let item = UnsafeMutablePointer<ArrowSchema>.allocate(capacity: 1)
                    item.initialize(to: Self.schema(format: "f", name: "item"))
                    child.initialize(to: Self.schema(format: "+w:\(n)", name: names[i], children: [item]))
                } else {
                    child.initialize(to: Self.schema(format: Self.format(column.type), name: names[i]))
                }
            }
            return child
        }
        out.pointee = Self.schema(format: "+s", name: "", children: children, flags: 0)
    }

    private static func format(_ type: FeatureType) -> String {
        switch type {
        case .int64: "l"
        case .float64: "g"
        case .bool: "b"
        case .string: "U"
        case .bytes: "Z"
        case .timestamp: "tsu:UTC"
        case .vector(let n): "+w:\(n)"
        }
    }

    /// A schema node owning its strings and children (all freed by its release callback).
    private static func schema(format: String, name: String, children: [UnsafeMutablePointer<ArrowSchema>] = [],
                               flags: Int64 = Int64(ARROW_FLAG_NULLABLE)) -> ArrowSchema {
        var list: UnsafeMutablePointer<UnsafeMutablePointer<ArrowSchema>?>? = nil
        if !children.isEmpty {
            list = .allocate(capacity: children.count)
            for (i, child) in children.enumerated() { (list! + i).initialize(to: child) }
        }
        return ArrowSchema(
            format: UnsafePointer(strdup(format)), name: UnsafePointer(strdup(name)), metadata: nil, flags: flags,
            n_children: Int64(children.count), children: list, dictionary: nil,
            release: { schema in
                guard let schema, schema.pointee.release != nil else { return }
                for i in 0..<Int(schema.pointee.n_children) {
                    guard let child = schema.pointee.children[i] else { continue }
                    if child.pointee.release != nil { child.pointee.release(child) }
                    child.deallocate()
                }
                schema.pointee.children?.deallocate()
                free(UnsafeMutablePointer(mutating: schema.pointee.format))
                free(UnsafeMutablePointer(mutating: schema.pointee.name))
                schema.pointee.release = nil
            },
            private_data: nil)
    }

    // MARK: Arrays

    private func exportBatch(into out: UnsafeMutablePointer<ArrowArray>) {
        let children = values.indices.map { i -> UnsafeMutablePointer<ArrowArray> in
            let child = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
            child.initialize(to: array(i))
            return child
        }
        out.pointee = node(length: rows, nullCount: 0, buffers: [nil], children: children)
    }

    /// The array of column `i`, pointing at its buffers.
    private func array(_ i: Int) -> ArrowArray {
        switch values[i] {
        case .int8(let codes):
            return node(length: rows, nullCount: 0, buffers: [nil, Self.address(codes)])
        case .column(let column):
            let nulls = column.count - column.validity.nonzeroBitCount
            let validity = nulls == 0 ? nil : column.validity.withUnsafeWords { Self.address($0) }
            switch column.type {
            case .int64, .timestamp:
                return node(length: rows, nullCount: nulls, buffers: [validity, Self.address(column.ints)])
            case .float64:
                return node(length: rows, nullCount: nulls, buffers: [validity, Self.address(column.doubles)])
            case .bool:
                return node(length: rows, nullCount: nulls, buffers: [validity, Self.address(packedBools[i] ?? [])])
            case .string, .bytes:
                return node(length: rows, nullCount: nulls,
                            buffers: [validity, Self.address(column.offsets), Self.address(column.bytes)])
            case .vector(let n):
                let item = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
                item.initialize(to: node(length: rows * n, nullCount: 0, buffers: [nil, Self.address(column.floats)]))
                return node(length: rows, nullCount: nulls, buffers: [validity], children: [item])
            }
        }
    }

    /// The address of an array's elements; a static, zeroed block for an
    /// empty one (Arrow wants a non-null data pointer).
    private static func address<T>(_ elements: [T]) -> UnsafeRawPointer {
        elements.withUnsafeBufferPointer { address($0) }
    }

    private static func address<T>(_ elements: UnsafeBufferPointer<T>) -> UnsafeRawPointer {
        guard let base = elements.baseAddress, !elements.isEmpty else { return UnsafeRawPointer(emptyBlock) }
        return UnsafeRawPointer(base)
    }

    /// An array node that retains `self` (released by its release callback,
    /// which also releases and frees the children that were not moved out).
    private func node(length: Int, nullCount: Int, buffers: [UnsafeRawPointer?],
                      children: [UnsafeMutablePointer<ArrowArray>] = []) -> ArrowArray {
        let bufferList = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: buffers.count)
        bufferList.initialize(from: buffers, count: buffers.count)
        var childList: UnsafeMutablePointer<UnsafeMutablePointer<ArrowArray>?>? = nil
        if !children.isEmpty {
            childList = .allocate(capacity: children.count)
            for (i, child) in children.enumerated() { (childList! + i).initialize(to: child) }
        }
        return ArrowArray(
            length: Int64(length), null_count: Int64(nullCount), offset: 0, n_buffers: Int64(buffers.count),
            n_children: Int64(children.count), buffers: bufferList, children: childList, dictionary: nil,
            release: { array in
                guard let array, array.pointee.release != nil else { return }
                for i in 0..<Int(array.pointee.n_children) {
                    guard let child = array.pointee.children[i] else { continue }
                    if child.pointee.release != nil { child.pointee.release(child) }
                    child.deallocate()
                }
                array.pointee.children?.deallocate()
                array.pointee.buffers?.deallocate()
                Unmanaged<ExportedColumns>.fromOpaque(array.pointee.private_data).release()
                array.pointee.release = nil
            },
            private_data: Unmanaged.passRetained(self).toOpaque())
    }
}

/// What an empty buffer points at: 64 zeroed bytes, never freed.
nonisolated(unsafe) private let emptyBlock: UnsafeMutableRawPointer = {
    let block = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
    block.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
    return block
}()
