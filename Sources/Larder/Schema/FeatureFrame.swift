/// A table of named, typed columns: the result of a retrieval, and what the
/// exporters write.
public struct FeatureFrame: Sendable {
    /// The column names, in order.
    public var names: [String]
    /// The columns, in the order of ``names``; all have ``rowCount`` rows.
    public var columns: [Column]

    /// A frame of the given columns.
    public init(names: [String], columns: [Column]) {
        precondition(names.count == columns.count)
        self.names = names
        self.columns = columns
    }

    /// The number of rows.
    public var rowCount: Int { columns.first?.count ?? 0 }

    /// The position of the column named `name`.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// The column named `name`.
    public subscript(name: String) -> Column? {
        index(of: name).map { columns[$0] }
    }
}
