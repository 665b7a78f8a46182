import CLarder
import Larder

/// Reads a stream handed in through the Arrow C stream interface into
/// Larder's columns, checking every structure before reading it, so that no
/// input can crash the process; the stream is released before returning.
struct ArrowImport {
    /// What to do with an incoming column.
    enum Wish {
        /// Not read at all (a spine's passthrough columns).
        case skip
        /// Read with the type its Arrow type maps to.
        case natural
        /// Read as this type (widening integers, floats and timestamps).
        case type(FeatureType)
    }

    /// A timestamp column without a time zone is UTC (else it is refused).
    var assumeUTC = false

    /// The names of all the stream's columns, and a frame of the wished-for ones.
    func read(_ stream: UnsafeMutablePointer<ArrowArrayStream>?, what: String,
              wish: (String) -> Wish) throws(LarderError) -> (names: [String], frame: FeatureFrame) {
        guard let stream else { throw .invalidInput("no \(what) (a NULL ArrowArrayStream)") }
        guard stream.pointee.release != nil else { throw .invalidInput("the \(what) stream is already released") }
        defer { stream.pointee.release?(stream) }
        guard let getSchema = stream.pointee.get_schema, let getNext = stream.pointee.get_next else {
            throw .invalidInput("the \(what) stream has no get_schema or get_next callback")
        }
        var schema = ArrowSchema()
        let status = getSchema(stream, &schema)
        guard status == 0 else { throw streamError(stream, what, status) }
        defer { if let release = schema.release { release(&schema) } }
        let fields = try Self.fields(of: schema, what)
        var columns: [(index: Int, reader: ColumnReader)] = []
        for (i, field) in fields.enumerated() {
            let wish = wish(field.name)
            if case .skip = wish { continue }
            columns.append((i, try ColumnReader(field, wish: wish, assumeUTC: assumeUTC)))
        }
        while true {
            var array = ArrowArray()
            let status = getNext(stream, &array)
            guard status == 0 else { throw streamError(stream, what, status) }
            guard array.release != nil else { break }
            defer { array.release?(&array) }
            guard array.n_children == Int64(fields.count), array.length >= 0, array.offset >= 0,
                  fields.isEmpty || array.children != nil else {
                throw .invalidInput("a batch of the \(what) does not match its schema (\(array.n_children) columns, length \(array.length), offset \(array.offset); the schema has \(fields.count) columns)")
            }
            guard array.null_count == 0 || array.n_buffers == 0 || array.buffers == nil || array.buffers[0] == nil else {
                throw .invalidInput("the \(what) has null rows (a struct array with nulls); give a table or record batches")
            }
            for c in columns.indices {
                guard let child = array.children[columns[c].index] else {
                    throw .invalidInput("a batch of the \(what) lacks column \"\(columns[c].reader.name)\"")
                }
                try columns[c].reader.append(child.pointee, from: Int(array.offset), count: Int(array.length))
            }
        }
        return (fields.map(\.name), FeatureFrame(names: columns.map(\.reader.name), columns: columns.map(\.reader.column)))
    }

    /// One column of the incoming schema.
    struct Field {
        var name: String
        var format: String
        /// The format of a list's items.
        var item: String?
        var dictionary: Bool
    }

    /// The error of a failed stream callback.
    private func streamError(_ stream: UnsafeMutablePointer<ArrowArrayStream>, _ what: String, _ status: Int32) -> LarderError {
        let message = stream.pointee.get_last_error?(stream).map { String(cString: $0) } ?? "error \(status)"
        return .invalidInput("reading the \(what) failed: \(message)")
    }

    /// The top-level fields: the schema must be a struct ("+s") of named columns.
    private static func fields(of schema: ArrowSchema, _ what: String) throws(LarderError) -> [Field] {
        guard let format = schema.format, String(cString: format) == "+s" else {
            throw .invalidInput("the \(what) is not a table (its Arrow format is \(schema.format.map { String(cString: $0) } ?? "missing"), not a struct \"+s\")")
        }
        guard schema.n_children >= 0, schema.n_children == 0 || schema.children != nil else {
            throw .invalidInput("the \(what)'s schema has \(schema.n_children) columns and no list of them")
        }
        var fields: [Field] = []
        for i in 0..<Int(schema.n_children) {
            guard let child = schema.children[i], let format = child.pointee.format else {
                throw .invalidInput("column \(i + 1) of the \(what) has no schema or format")
            }
            let name = child.pointee.name.map { String(cString: $0) } ?? ""
            var item: String? = nil
            if child.pointee.n_children == 1, let items = child.pointee.children, let first = items[0], let itemFormat = first.pointee.format {
                item = String(cString: itemFormat)
            }
            fields.append(Field(name: name, format: String(cString: format), item: item, dictionary: child.pointee.dictionary != nil))
        }
        return fields
    }
}
